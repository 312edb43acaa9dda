using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Processes;

/// <summary>
/// Starts processes that goal reactions ask for, and fires the trigger of running processes waiting for an event about
/// their deal, one level deeper in the same unit of work.
/// </summary>
internal sealed class ProcessReactor(ProcessEngine engine) : IUnitOfWorkReactor
{
    public async ValueTask OnEventAsync(UnitOfWork unit, DomainEvent domainEvent, Cause cause, CancellationToken cancellationToken)
    {
        if (domainEvent is ProcessStartRequested request)
        {
            unit.Enqueue($"start process {request.TemplateId} for deal {request.Deal}",
                async (u, ct) => await engine.StartAsync(u, request.TemplateId, request.Deal, null, null, cause, ct).ConfigureAwait(false));
            return;
        }

        var (eventType, deal) = domainEvent is DealSignalRaised signal
            ? (signal.Name, (DealId?)signal.Deal)
            : (domainEvent.GetType().Name, ProcessEngine.DealOf(domainEvent));
        if (deal is not { } dealId || !engine.IsWaitedFor(eventType) && !await engine.Configuration.IsWaitedForAsync(unit, eventType, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Process.Name, new IndexEntry("waiting", $"{eventType}:{dealId}"), cancellationToken).ConfigureAwait(false))
        {
            var processId = document.Id;
            unit.Enqueue($"process {processId} receives {eventType}", async (u, ct) =>
            {
                var instance = await u.GetAsync(Kinds.Process, processId, ct).ConfigureAwait(false);
                var wait = instance.Status == ProcessStatus.Running ? instance.Waits.FirstOrDefault(w => w.EventType == eventType) : null;
                if (wait is not null)
                {
                    await engine.FireAsync(u, instance, wait.Trigger, Cause.Process(processId, eventType), ct).ConfigureAwait(false);
                }
            });
        }
    }
}

/// <summary>Escalates a process step still unfinished at its deadline to the responsible person's head.</summary>
internal sealed class ProcessDeadlineHandler(ProcessEngine engine) : ITimerHandler
{
    public string Kind => ProcessEngine.DeadlineKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var (instance, step) = await CurrentAsync(unit, timer, cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return;
        }

        var responsible = await engine.ResponsibleAsync(unit, instance, cancellationToken).ConfigureAwait(false);
        if (responsible is not { } user)
        {
            return;
        }

        var template = (await engine.TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false)).Template;
        var recipient = user;
        if (template.GetStep(step).EscalateToHead)
        {
            try
            {
                recipient = await DealOperations.HeadOfAsync(unit, user, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidStateException)
            {
                recipient = user;
            }
        }

        await unit.RecordAsync(new NotificationRequested(recipient, $"Escalation: {template.Name} stuck in '{step}'",
            $"Step '{step}' of process {template.Name} ({instance.Id}) was due at {instance.StepDeadline} and is not done; {user} is responsible.", instance.Deal),
            Cause.Process(instance.Id.Value, template.Name), cancellationToken).ConfigureAwait(false);
    }

    internal static async ValueTask<(ProcessInstance? Instance, string Step)> CurrentAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var parts = timer.Payload.Split('\n');
        var instance = await unit.FindAsync(Kinds.Process, parts[0], cancellationToken).ConfigureAwait(false);
        // The step may have been left since the timer was set (its timers are cancelled then, but be safe).
        return instance is { Status: ProcessStatus.Running } && instance.CurrentStep == parts[1] ? (instance, parts[1]) : (null, parts[1]);
    }
}

/// <summary>Reminds the person responsible for a process step before its deadline.</summary>
internal sealed class ProcessReminderHandler(ProcessEngine engine) : ITimerHandler
{
    public string Kind => ProcessEngine.ReminderKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var (instance, step) = await ProcessDeadlineHandler.CurrentAsync(unit, timer, cancellationToken).ConfigureAwait(false);
        if (instance is null || await engine.ResponsibleAsync(unit, instance, cancellationToken).ConfigureAwait(false) is not { } user)
        {
            return;
        }

        var template = (await engine.TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false)).Template;
        await unit.RecordAsync(new NotificationRequested(user, $"Reminder: {template.Name} — '{step}'",
            $"Step '{step}' of process {template.Name} is due at {instance.StepDeadline}.", instance.Deal),
            Cause.Process(instance.Id.Value, template.Name), cancellationToken).ConfigureAwait(false);
    }
}
