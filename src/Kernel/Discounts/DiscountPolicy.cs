using Crm.Abstractions;
using Crm.Abstractions.Automation;

namespace Crm.Kernel.Discounts;

/// <summary>
/// One threshold of a tenant's discount policy: a line discount strictly above <paramref name="AbovePercent"/> needs
/// the approval of <paramref name="Steps"/>, in order (e.g. above 25 %: <c>ownerHead</c>, then <c>user:finance</c>).
/// The highest threshold a discount crosses decides its steps.
/// </summary>
/// <param name="AbovePercent">The threshold in percent, 0 to 100; a discount strictly above it needs approval.</param>
/// <param name="Steps">The approvers, one per step, in order: <see cref="Recipient.OwnerHead"/> (the head of the seller's team) or <see cref="Recipient.User"/>.</param>
public sealed record DiscountThreshold(decimal AbovePercent, IReadOnlyList<Recipient> Steps);

/// <summary>The tenant's discount policy (setting kind <c>discount-policy</c>): its checks and JSON form.</summary>
internal static class DiscountPolicyJson
{
    internal sealed record Step(string Approver);

    internal sealed record Threshold(decimal AbovePercent, IReadOnlyList<Step> Steps);

    internal sealed record Document(IReadOnlyList<Threshold> Thresholds);

    public static Document Empty { get; } = new([]);

    public static string Write(Document document) => Storage.CrmJson.Serialize(document);

    public static Document Read(string json) => Storage.CrmJson.Deserialize<Document>(json);

    /// <summary>Checks a policy's meaning: thresholds 0–100, strictly ascending, each with at least one step whose approver is <c>ownerHead</c> or <c>user:&lt;id&gt;</c>.</summary>
    /// <exception cref="CrmValidationException">Names the threshold (<c>thresholds[i]</c>) or step (<c>thresholds[i].steps[j]</c>) that is wrong.</exception>
    public static Document Check(IReadOnlyList<DiscountThreshold>? thresholds)
    {
        if (thresholds is null)
        {
            throw new CrmValidationException("thresholds", "give the thresholds (an empty list: no discount needs approval).");
        }

        var result = new List<Threshold>(thresholds.Count);
        for (var i = 0; i < thresholds.Count; i++)
        {
            var t = thresholds[i] ?? throw new CrmValidationException($"thresholds[{i}]", "a threshold is missing.");
            if (t.AbovePercent is < 0m or > 100m)
            {
                throw new CrmValidationException($"thresholds[{i}].abovePercent", $"a threshold is a percent from 0 to 100; got {t.AbovePercent}.");
            }

            if (i > 0 && t.AbovePercent <= thresholds[i - 1].AbovePercent)
            {
                throw new CrmValidationException($"thresholds[{i}].abovePercent", $"thresholds must ascend: {t.AbovePercent} follows {thresholds[i - 1].AbovePercent}.");
            }

            if (t.Steps is null || t.Steps.Count == 0)
            {
                throw new CrmValidationException($"thresholds[{i}].steps", $"the threshold above {t.AbovePercent} % needs at least one approval step (ownerHead or user:<id>).");
            }

            var steps = new List<Step>(t.Steps.Count);
            for (var j = 0; j < t.Steps.Count; j++)
            {
                var r = t.Steps[j];
                var ok = r.Kind == RecipientKind.OwnerHead && r.Name is null
                    || r.Kind == RecipientKind.User && !string.IsNullOrWhiteSpace(r.Name);
                if (!ok)
                {
                    throw new CrmValidationException($"thresholds[{i}].steps[{j}]", $"an approver is ownerHead or user:<id>; got '{r}'.");
                }

                steps.Add(new Step(r.ToString()));
            }

            result.Add(new Threshold(t.AbovePercent, steps));
        }

        return new Document(result);
    }

    /// <summary>The threshold a discount crosses (the highest one strictly below it), or null when it needs no approval.</summary>
    public static Threshold? Crossed(Document policy, decimal discountPercent) =>
        policy.Thresholds.LastOrDefault(t => discountPercent > t.AbovePercent);
}

/// <summary>One seller's discounts: approval requests, their outcomes, and discounted invoices issued.</summary>
/// <param name="Seller">The deal owner.</param>
/// <param name="Requested">Approval requests made (a request again after a rejection counts again).</param>
/// <param name="Approved">Requests approved by every step.</param>
/// <param name="Rejected">Requests rejected.</param>
/// <param name="Granted">Invoices with a line discount that were issued (or paid).</param>
public sealed record DiscountReportRow(UserId Seller, int Requested, int Approved, int Rejected, int Granted);
