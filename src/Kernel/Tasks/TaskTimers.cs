using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Tasks;

/// <summary>
/// Sets a task's reminder and overdue timers when it is created (by a user, a goal, a rule or a process) and cancels
/// them when it is done or cancelled, in the same unit of work. Reassigning keeps them: the handlers read the
/// assignee when they fire.
/// </summary>
internal sealed class TaskTimers(Microsoft.Extensions.Options.IOptions<Crm.Kernel.Hosting.CrmKernelOptions> options) : IUnitOfWorkReactor
{
    public const string ReminderKind = "task-reminder";
    public const string OverdueKind = "task-overdue";

    public static string ReminderId(WorkTaskId task) => $"task:{task}:reminder";

    public static string OverdueId(WorkTaskId task) => $"task:{task}:overdue";

    public ValueTask OnEventAsync(UnitOfWork unit, DomainEvent domainEvent, Cause cause, CancellationToken cancellationToken)
    {
        switch (domainEvent)
        {
            case WorkTaskCreated created:
                var remindAt = created.Due - options.Value.TaskReminderLead;
                if (remindAt > unit.Now)
                {
                    unit.SetTimer(new ScheduledTimer(ReminderId(created.Task), unit.Tenant, remindAt, ReminderKind, created.Task.Value));
                }

                unit.SetTimer(new ScheduledTimer(OverdueId(created.Task), unit.Tenant, created.Due, OverdueKind, created.Task.Value));
                break;
            case WorkTaskCompleted done:
                Cancel(unit, done.Task);
                break;
            case WorkTaskCancelled cancelled:
                Cancel(unit, cancelled.Task);
                break;
        }

        return ValueTask.CompletedTask;
    }

    private static void Cancel(UnitOfWork unit, WorkTaskId task)
    {
        unit.CancelTimer(ReminderId(task));
        unit.CancelTimer(OverdueId(task));
    }
}

/// <summary>Reminds the current assignee of an open task before it is due.</summary>
internal sealed class TaskReminderHandler : ITimerHandler
{
    public string Kind => TaskTimers.ReminderKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var task = await unit.FindAsync(Kinds.Task, timer.Payload, cancellationToken).ConfigureAwait(false);
        if (task is { Status: WorkTaskStatus.Open })
        {
            await unit.RecordAsync(new NotificationRequested(task.Assignee, $"Reminder: {task.Title}", $"Task '{task.Title}' is due at {task.Due}.", task.Deal),
                Cause.System("task reminder"), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Escalates a task still open at its due instant to the assignee's head.</summary>
internal sealed class TaskOverdueHandler : ITimerHandler
{
    public string Kind => TaskTimers.OverdueKind;

    public async ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken)
    {
        var task = await unit.FindAsync(Kinds.Task, timer.Payload, cancellationToken).ConfigureAwait(false);
        if (task is not { Status: WorkTaskStatus.Open })
        {
            return;
        }

        UserId head;
        try
        {
            head = await DealOperations.HeadOfAsync(unit, task.Assignee, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidStateException)
        {
            head = task.Assignee; // nobody above: tell the assignee themself
        }

        await unit.RecordAsync(new NotificationRequested(head, $"Overdue: {task.Title}", $"Task '{task.Title}' of {task.Assignee} was due at {task.Due} and is still open.", task.Deal),
            Cause.System("task overdue escalation"), cancellationToken).ConfigureAwait(false);
    }
}
