using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Discounts;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Discounts' kinds: the approval request of an invoice's discount.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<DiscountApproval> DiscountApproval = new("discount-approval", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Discounts
{
    /// <summary>The state of a discount approval request (one per invoice; a new request after a rejection starts over).</summary>
    internal sealed record DiscountApproval
    {
        public required string Id { get; init; }
        public required UserId Seller { get; init; }
        public decimal DiscountPercent { get; init; }
        public decimal ThresholdPercent { get; init; }
        public required IReadOnlyList<UserId> Approvers { get; init; }
        public int Step { get; init; }
        public bool Rejected { get; init; }
        public string? RejectionReason { get; init; }
        public int Requests { get; init; }
        public int Rejections { get; init; }

        /// <summary>Every step approved.</summary>
        [JsonIgnore]
        public bool Approved => !Rejected && Step >= Approvers.Count;

        [JsonIgnore]
        public long Version { get; init; }
    }

    /// <summary>The stream of discount approvals and how requests and decisions change it.</summary>
    internal sealed class DiscountsAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.DiscountApproval)
                .On<DiscountApprovalRequested>(e => e.Invoice.Value, (s, e, in ctx) => new DiscountApproval
                {
                    Id = e.Invoice.Value, Seller = e.Seller, DiscountPercent = e.DiscountPercent, ThresholdPercent = e.ThresholdPercent, Approvers = e.Approvers,
                    Requests = (s?.Requests ?? 0) + 1, Rejections = s?.Rejections ?? 0,
                })
                .OnExisting<DiscountStepDecided>(e => e.Invoice.Value, (s, e, in ctx) => e.Approved
                    ? s with { Step = s.Step + 1 }
                    : s with { Rejected = true, RejectionReason = e.Reason, Rejections = s.Rejections + 1 });
        }
    }
}
