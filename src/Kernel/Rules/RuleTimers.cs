using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Rules;

/// <summary>Fires a rule's scheduled action unless its condition holds by now (checked in the firing unit of work).</summary>
internal sealed class RuleActionTimerHandler(RuleEngine engine) : ITimerHandler
{
    public string Kind => RuleEngine.ActionKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var parts = timer.Payload.Split('\n');
        var instance = await unit.FindAsync(Kinds.RuleInstance, parts[0], cancellationToken).ConfigureAwait(false);
        if (instance is not { Outcome: RuleOutcome.Pending } || await engine.DefinitionAsync(unit, instance, cancellationToken).ConfigureAwait(false) is not { } rule)
        {
            return;
        }

        var index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var scheduled = rule.Scheduled[index];
        var deal = await unit.GetAsync(Kinds.Deal, instance.Deal.Value, cancellationToken).ConfigureAwait(false);
        var subject = new RuleSubject(deal, await unit.FindAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false));
        var cause = Cause.Rule(rule.Id, rule.Name);
        if (scheduled.Unless?.IsTrue(subject) == true)
        {
            await unit.RecordAsync(new RuleScheduledActionDone(instance.Id, index, "skipped"), cause, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await engine.RunAsync(unit, rule, deal.Id, scheduled.Action, cause, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new RuleScheduledActionDone(instance.Id, index, "fired"), cause, cancellationToken).ConfigureAwait(false);
        }

        var after = await unit.GetAsync(Kinds.RuleInstance, instance.Id, cancellationToken).ConfigureAwait(false);
        if (rule.Deadline is null && after.PendingActions == 0 && after.Outcome == RuleOutcome.Pending)
        {
            await unit.RecordAsync(new RuleOutcomeRecorded(instance.Id, "met", "all scheduled actions done"), cause, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>At a rule's deadline: met if its goal holds now, else violated and told per the notification policy.</summary>
internal sealed class RuleDeadlineHandler(RuleEngine engine) : ITimerHandler
{
    public string Kind => RuleEngine.DeadlineKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var instance = await unit.FindAsync(Kinds.RuleInstance, timer.Payload, cancellationToken).ConfigureAwait(false);
        if (instance is not { Outcome: RuleOutcome.Pending } || await engine.DefinitionAsync(unit, instance, cancellationToken).ConfigureAwait(false) is not { Deadline: { } deadline } rule)
        {
            return;
        }

        var deal = await unit.GetAsync(Kinds.Deal, instance.Deal.Value, cancellationToken).ConfigureAwait(false);
        var subject = new RuleSubject(deal, await unit.FindAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false));
        var cause = Cause.Rule(rule.Id, rule.Name);
        // Pending scheduled actions lose their purpose at the deadline.
        for (var i = 0; i < rule.Scheduled.Count; i++)
        {
            unit.CancelTimer($"rule:{instance.Id}:action:{i}");
        }

        if (deadline.MetWhen.IsTrue(subject))
        {
            await unit.RecordAsync(new RuleOutcomeRecorded(instance.Id, "met", "met in time"), cause, cancellationToken).ConfigureAwait(false);
            return;
        }

        await unit.RecordAsync(new RuleOutcomeRecorded(instance.Id, "violated", $"not met by {instance.Deadline}"), cause, cancellationToken).ConfigureAwait(false);
        var recipient = await RuleEngine.RecipientAsync(unit, deal, deadline.NotifyOnViolation, cancellationToken).ConfigureAwait(false) ?? deal.Owner;
        var line = $"{rule.Name}: deal '{deal.Title ?? deal.Id.Value}' ({deal.Amount}) of {deal.Owner} was not done by {instance.Deadline}.";
        var policy = (await engine.Processes.Configuration.NotificationPolicyAsync(unit, cancellationToken).ConfigureAwait(false)).Violations ?? deadline.Policy;
        if (policy == NotificationPolicy.DailyDigest)
        {
            await engine.AddToDigestAsync(unit, recipient, "Rule violations", line, cause, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await unit.RecordAsync(new NotificationRequested(recipient, $"Violation: {rule.Name}", line, deal.Id), cause, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Sends a recipient's digest of the day as one notification.</summary>
internal sealed class DigestTimerHandler : ITimerHandler
{
    public string Kind => RuleEngine.DigestKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var digest = await unit.FindAsync(Kinds.Digest, timer.Payload, cancellationToken).ConfigureAwait(false);
        if (digest is null || digest.Sent)
        {
            return;
        }

        var body = string.Join("\n", digest.Items.Select(i => "• " + i));
        await unit.RecordAsync(new NotificationRequested(digest.Recipient, $"{digest.Subject} on {digest.Day:yyyy-MM-dd}: {digest.Items.Count}", body, null), Cause.System("daily digest"), cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new DigestSent(digest.Id), Cause.System("daily digest"), cancellationToken).ConfigureAwait(false);
    }
}
