using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Configuration;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Discounts;

/// <summary>An invoice's discount crosses a threshold of the tenant's discount policy and is not (yet) approved: it cannot be issued.</summary>
public sealed class DiscountApprovalRequiredException : CrmException
{
    /// <summary>Creates the exception naming the invoice, its discount, the threshold and who must approve.</summary>
    public DiscountApprovalRequiredException(InvoiceId invoice, decimal discountPercent, decimal thresholdPercent, string approvers, string state)
        : base($"Invoice '{invoice}' is held: its discount of {discountPercent} % is above the {thresholdPercent} % threshold and needs the approval of {approvers}; {state} "
            + "Nothing was changed; ask for approval (session.Invoices.RequestDiscountApprovalAsync) or lower the discount.")
    {
        Invoice = invoice;
        DiscountPercent = discountPercent;
        ThresholdPercent = thresholdPercent;
        Approvers = approvers;
    }

    /// <summary>The held invoice.</summary>
    public InvoiceId Invoice { get; }

    /// <summary>Its largest line discount.</summary>
    public decimal DiscountPercent { get; }

    /// <summary>The threshold it crosses.</summary>
    public decimal ThresholdPercent { get; }

    /// <summary>Who must approve, step by step (e.g. <c>ownerHead, then user:finance</c>).</summary>
    public string Approvers { get; }
}

/// <summary>The hold on issuing: the tenant's policy, the invoice's largest discount and its approval request.</summary>
internal static class DiscountGate
{
    public static async ValueTask<DiscountPolicyJson.Document> PolicyAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings?.Find(SettingKinds.DiscountPolicy, SettingKinds.Default) is { } stored ? DiscountPolicyJson.Read(stored.Json) : DiscountPolicyJson.Empty;
    }

    public static decimal LargestDiscount(Invoice invoice) => invoice.Lines.Count == 0 ? 0m : invoice.Lines.Max(l => l.DiscountPercent);

    public static string Describe(DiscountPolicyJson.Threshold threshold) => string.Join(", then ", threshold.Steps.Select(s => s.Approver));

    /// <summary>Refuses issuing an invoice whose discount crosses a threshold unless its request is approved.</summary>
    /// <exception cref="DiscountApprovalRequiredException">It is held.</exception>
    public static async ValueTask CheckAsync(UnitOfWork unit, Invoice invoice, CancellationToken cancellationToken)
    {
        var discount = LargestDiscount(invoice);
        if (DiscountPolicyJson.Crossed(await PolicyAsync(unit, cancellationToken).ConfigureAwait(false), discount) is not { } threshold)
        {
            return;
        }

        var request = await unit.FindAsync(Kinds.DiscountApproval, invoice.Id.Value, cancellationToken).ConfigureAwait(false);
        if (request is { Approved: true } && request.ThresholdPercent >= threshold.AbovePercent)
        {
            return;
        }

        var state = request switch
        {
            null => "no approval was requested.",
            { Rejected: true } => $"the request was rejected: {request.RejectionReason}",
            _ => $"step {request.Step + 1} of {request.Approvers.Count} waits for {request.Approvers[request.Step]}.",
        };
        throw new DiscountApprovalRequiredException(invoice.Id, discount, threshold.AbovePercent, Describe(threshold), state);
    }

    /// <summary>The approver of each step: <c>ownerHead</c> is the head of the seller's team (the seller when they have none), <c>user:&lt;id&gt;</c> that user.</summary>
    public static async ValueTask<List<UserId>> ApproversAsync(UnitOfWork unit, DiscountPolicyJson.Threshold threshold, UserId seller, CancellationToken cancellationToken)
    {
        var result = new List<UserId>(threshold.Steps.Count);
        foreach (var step in threshold.Steps)
        {
            Recipient.TryParse(step.Approver, out var recipient, out _);
            result.Add(recipient.Kind == RecipientKind.OwnerHead
                ? await Deals.DealOperations.HeadOfAsync(unit, seller, cancellationToken).ConfigureAwait(false)
                : new UserId(recipient.Name!));
        }

        return result;
    }
}
