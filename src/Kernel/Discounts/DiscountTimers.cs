using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Discounts;

/// <summary>
/// Each pending approval step has a reminder (to its approver, one day after the step began) and an escalation (to
/// the approver's head, two days after), as durable timers; deciding the step cancels them.
/// </summary>
internal static class DiscountTimers
{
    public const string ReminderKind = "discount-reminder";
    public const string EscalationKind = "discount-escalation";
    public static readonly Duration ReminderAfter = Duration.FromDays(1);
    public static readonly Duration EscalationAfter = Duration.FromDays(2);

    private static string Id(string invoice, int step, string what) => $"discount:{invoice}:{step}:{what}";

    public static void Set(UnitOfWork unit, InvoiceId invoice, int step)
    {
        var payload = $"{invoice.Value}|{step}";
        unit.SetTimer(new ScheduledTimer(Id(invoice.Value, step, "remind"), unit.Tenant, unit.Now + ReminderAfter, ReminderKind, payload));
        unit.SetTimer(new ScheduledTimer(Id(invoice.Value, step, "escalate"), unit.Tenant, unit.Now + EscalationAfter, EscalationKind, payload));
    }

    public static void Cancel(UnitOfWork unit, InvoiceId invoice, int step)
    {
        unit.CancelTimer(Id(invoice.Value, step, "remind"));
        unit.CancelTimer(Id(invoice.Value, step, "escalate"));
    }

    /// <summary>The request still waiting at the timer's step, or null.</summary>
    public static async ValueTask<DiscountApproval?> PendingAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var bar = timer.Payload.LastIndexOf('|');
        var request = await unit.FindAsync(Kinds.DiscountApproval, timer.Payload[..bar], cancellationToken).ConfigureAwait(false);
        return request is { Rejected: false, Approved: false } && request.Step == int.Parse(timer.Payload[(bar + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            ? request
            : null;
    }
}

/// <summary>Reminds the approver of a discount step still pending.</summary>
internal sealed class DiscountReminderHandler : ITimerHandler
{
    public string Kind => DiscountTimers.ReminderKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        if (await DiscountTimers.PendingAsync(unit, timer, cancellationToken).ConfigureAwait(false) is { } r)
        {
            await unit.RecordAsync(new NotificationRequested(r.Approvers[r.Step], $"Reminder: discount approval on invoice {r.Id}",
                $"A discount of {r.DiscountPercent} % for {r.Seller} waits for your decision (step {r.Step + 1} of {r.Approvers.Count}).", null),
                Cause.System("discount reminder"), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Escalates a discount step still pending to its approver's head (the approver when nobody is above).</summary>
internal sealed class DiscountEscalationHandler : ITimerHandler
{
    public string Kind => DiscountTimers.EscalationKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        if (await DiscountTimers.PendingAsync(unit, timer, cancellationToken).ConfigureAwait(false) is not { } r)
        {
            return;
        }

        var approver = r.Approvers[r.Step];
        UserId head;
        try
        {
            head = await Deals.DealOperations.HeadOfAsync(unit, approver, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidStateException)
        {
            head = approver;
        }

        await unit.RecordAsync(new NotificationRequested(head, $"Escalation: discount approval on invoice {r.Id}",
            $"A discount of {r.DiscountPercent} % for {r.Seller} has waited for {approver} for {DiscountTimers.EscalationAfter.Days} days (step {r.Step + 1} of {r.Approvers.Count}).", null),
            Cause.System("discount escalation"), cancellationToken).ConfigureAwait(false);
    }
}
