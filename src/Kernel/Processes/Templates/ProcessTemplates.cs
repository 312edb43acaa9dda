namespace Crm.Kernel.Processes.Templates;

/// <summary>
/// The process templates the kernel ships, loaded (and validated) from the JSON files embedded in this assembly, the
/// same format a methodology plug-in uses.
/// </summary>
public static class ProcessTemplates
{
    // Lazy: immutable once loaded, so sharing across kernels in one process is safe.
    private static readonly Lazy<ProcessTemplate> DeliveryTemplate = new(() => Load("delivery.json"));
    private static readonly Lazy<ProcessTemplate> ContractApprovalTemplate = new(() => Load("contract-approval.json"));

    /// <summary>
    /// Delivery: order confirmed → picking → shipped → delivered → documents signed; each working step has a responsible
    /// role, a deadline in working days, reminders before it and escalation to the head when it passes.
    /// </summary>
    public static ProcessTemplate Delivery => DeliveryTemplate.Value;

    /// <summary>
    /// Contract approval: draft → legal review → head approval → signed; a rejection in legal review or head approval
    /// sends the contract back to draft.
    /// </summary>
    public static ProcessTemplate ContractApproval => ContractApprovalTemplate.Value;

    /// <summary>All shipped templates.</summary>
    public static IReadOnlyList<ProcessTemplate> All => [Delivery, ContractApproval];

    /// <summary>The raw JSON of a shipped template, e.g. <c>delivery.json</c>, as a starting point for a methodology.</summary>
    /// <exception cref="ArgumentException"><paramref name="fileName"/> is not a shipped template.</exception>
    public static string ReadJson(string fileName)
    {
        using var stream = Open(fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static ProcessTemplate Load(string fileName)
    {
        using var stream = Open(fileName);
        return ProcessTemplateJson.Load(stream);
    }

    private static Stream Open(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        return typeof(ProcessTemplates).Assembly.GetManifestResourceStream("Crm.Kernel.Processes.Templates." + fileName)
            ?? throw new ArgumentException($"'{fileName}' is not a shipped process template; use delivery.json or contract-approval.json.", nameof(fileName));
    }
}
