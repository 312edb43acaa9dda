using Microsoft.Extensions.DependencyInjection;

namespace Crm.Abstractions.Plugins;

/// <summary>
/// The one entry point of a plug-in: a class with a public parameterless constructor that registers adapters
/// (storage, telephony, mail, notification channels) and methodologies. The same class works when the plug-in is
/// loaded from <c>plugins/&lt;Name&gt;/</c> and when it is referenced as a plain package.
/// </summary>
/// <example><code>
/// public sealed class MyPlugin : ICrmPlugin
/// {
///     public void Configure(ICrmPluginContext context) =>
///         context.Services.AddSingleton&lt;INotificationChannel, MyChannel&gt;();
/// }
/// </code></example>
public interface ICrmPlugin
{
    /// <summary>Registers what the plug-in provides. Throwing here skips the plug-in with the error reported.</summary>
    void Configure(ICrmPluginContext context);
}

/// <summary>What a plug-in registers into.</summary>
public interface ICrmPluginContext
{
    /// <summary>The host's services; adapters register their port implementations here.</summary>
    IServiceCollection Services { get; }

    /// <summary>Adds a sales methodology (pipelines, process templates, rules, classifiers, report presets).</summary>
    void AddMethodology(SalesMethodology methodology);
}

/// <summary>
/// A sales methodology a plug-in ships: pipelines (stages with norms, win probabilities, required fields, goals and
/// reactions), process templates and business rules as JSON, client classifiers with their allowed values, and report
/// presets. An administrator installs it into a tenant with <c>session.Methodologies.InstallAsync(id)</c>, which
/// validates every JSON document (errors name the methodology, the document and the JSON path) and installs all of it
/// atomically; installing again changes nothing.
/// </summary>
/// <param name="Id">A stable id, e.g. <c>spin</c>.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Description">What the methodology is and when to use it.</param>
/// <param name="Pipelines">The pipelines it defines.</param>
/// <example><code>
/// context.AddMethodology(new SalesMethodology("spin", "SPIN selling", "Discovery by questions.", [pipeline])
/// {
///     ProcessTemplates = [MethodologyDocument.FromResource(typeof(SpinPlugin).Assembly, "spin-discovery.json")],
///     Rules = [MethodologyDocument.FromResource(typeof(SpinPlugin).Assembly, "spin-need-payoff.json")],
///     Classifiers = [new ClientClassifierDefinition("pain", ["none", "stated", "quantified"])],
/// });
/// </code></example>
public sealed record SalesMethodology(string Id, string Name, string Description, IReadOnlyList<PipelineDefinition> Pipelines)
{
    /// <summary>
    /// Process templates in the kernel's template JSON format (<c>ProcessTemplateJson</c>); their ids are kernel-wide,
    /// so prefix them with the methodology's id.
    /// </summary>
    public IReadOnlyList<MethodologyDocument> ProcessTemplates { get; init; } = [];

    /// <summary>Business rules in the kernel's rule JSON format (<c>RuleJson</c>), defined per tenant on install.</summary>
    public IReadOnlyList<MethodologyDocument> Rules { get; init; } = [];

    /// <summary>
    /// The client classifiers the methodology uses, with their allowed values. Install checks that every reaction,
    /// rule action and process action setting one of them uses an allowed value.
    /// </summary>
    public IReadOnlyList<ClientClassifierDefinition> Classifiers { get; init; } = [];

    /// <summary>Report designer definitions (<c>ReportDefinition</c> as JSON) the methodology recommends.</summary>
    public IReadOnlyList<MethodologyDocument> ReportPresets { get; init; } = [];
}

/// <summary>One JSON document a methodology ships (a process template, a rule or a report preset).</summary>
/// <param name="Name">The document's name, e.g. its file name; install errors quote it.</param>
/// <param name="Json">The JSON text.</param>
public sealed record MethodologyDocument(string Name, string Json)
{
    /// <summary>
    /// Reads an embedded resource of <paramref name="assembly"/> whose manifest name is or ends with
    /// <c>.<paramref name="fileName"/></c> (e.g. <c>&lt;EmbeddedResource Include="Methodology/*.json" /&gt;</c>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="assembly"/> is null.</exception>
    /// <exception cref="ArgumentException">No such resource, or several match; the message lists the assembly's resources.</exception>
    public static MethodologyDocument FromResource(System.Reflection.Assembly assembly, string fileName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var names = assembly.GetManifestResourceNames();
        var matches = names.Where(n => n == fileName || n.EndsWith("." + fileName, StringComparison.Ordinal)).ToArray();
        if (matches.Length != 1)
        {
            throw new ArgumentException(
                $"{(matches.Length == 0 ? "No" : "More than one")} embedded resource of {assembly.GetName().Name} matches '{fileName}'; its resources are: {(names.Length == 0 ? "none" : string.Join(", ", names))}.",
                nameof(fileName));
        }

        using var stream = assembly.GetManifestResourceStream(matches[0])!;
        using var reader = new StreamReader(stream);
        return new MethodologyDocument(fileName, reader.ReadToEnd());
    }
}

/// <summary>A client classifier (an operational label on the client card, e.g. <c>status</c>) with its allowed values.</summary>
/// <param name="Name">The classifier's name.</param>
/// <param name="AllowedValues">The values it may take, in display order.</param>
public sealed record ClientClassifierDefinition(string Name, IReadOnlyList<string> AllowedValues)
{
    /// <summary>What the classifier means, for people.</summary>
    public string? Description { get; init; }
}

/// <summary>
/// The builder <c>services.AddCrmKernel(crm =&gt; …)</c> passes to its callback. Adapter packages add their
/// <c>UseXxx</c> extension methods to this interface, so they need only <c>Crm.Abstractions</c>.
/// </summary>
public interface ICrmKernelBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}
