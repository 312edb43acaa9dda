using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Tests.Rules;

/// <summary>The team's policy "a small deal gets an offer within 5 days", as a rule.</summary>
internal static class SmallDealRule
{
    public const string Id = "small-deal-offer";
    public static readonly Condition OfferSent = new FieldIsSet("deal.field.offerSent");

    public static RuleDefinition Create(decimal threshold = 10_000m, ExceptionApproval onApproval = ExceptionApproval.ExtendDeadline) =>
        RuleDefinition.Create(Id, "Small deal: offer within 5 days", "DealOpened")
            .Criteria(new FieldCompare("deal.amount", Comparison.LessThan, threshold))
            .Then(new Notify("Prepare a commercial offer", "Prepare a commercial offer for {title} and send it within 5 days."))
            .After(BusinessDuration.WorkingDays(1), new Notify("Reminder: offer for {title}", "The offer is not sent yet."), unless: OfferSent)
            .After(BusinessDuration.WorkingDays(4), new Notify("Reminder: offer for {title}", "One day left to send the offer."), unless: OfferSent)
            .MustMeetWithin(BusinessDuration.WorkingDays(5), OfferSent, NotificationPolicy.DailyDigest, Recipient.OwnerHead)
            .AllowExceptions(new RuleExceptionPolicy("Complex", ["special warranty terms", "special payment terms", "custom delivery"])
            {
                OnApproval = onApproval,
                Extension = BusinessDuration.WorkingDays(5),
            })
            .Build();
}
