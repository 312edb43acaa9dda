using System.Collections.Concurrent;
using System.Reflection;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Processes;

/// <summary>
/// Runs process instances inside units of work: the Stateless machine (cached per template version, fed the instance
/// from memory) decides the step; the engine journals the step, runs its on-entry actions, and sets or cancels the
/// step's deadline, reminder and escalation timers in the same unit.
/// </summary>
internal sealed class ProcessEngine
{
    public const string DeadlineKind = "process-deadline";
    public const string ReminderKind = "process-reminder";
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> DealProperties = new();
    // Concurrent: a methodology install registers templates while other units read it.
    private readonly ConcurrentDictionary<string, bool> _waitedFor = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Crm.Abstractions.Automation.IActionHandler> _handlers;

    public ProcessEngine(ProcessMachine machine, BusinessCalendar calendar, IEnumerable<ProcessTemplate> templates, IEnumerable<Crm.Abstractions.Automation.IActionHandler>? handlers = null)
    {
        _handlers = (handlers ?? []).ToDictionary(h => h.Name, StringComparer.Ordinal);
        Actions = new Crm.Kernel.Automation.ActionRunner(this);
        Machine = machine;
        Calendar = calendar;
        Configuration = new Crm.Kernel.Configuration.TenantConfiguration(machine, calendar);
        foreach (var template in templates)
        {
            Register(template);
        }
    }

    /// <summary>Makes a template version startable (a methodology's, on install); an equal one again is harmless.</summary>
    /// <exception cref="InvalidStateException">Another template with the same id and version is registered.</exception>
    public void Register(ProcessTemplate template)
    {
        Machine.Register(template);
        foreach (var step in template.Steps)
        {
            foreach (var wait in step.OnEntry.OfType<WaitForEvent>())
            {
                _waitedFor.TryAdd(wait.EventType, true);
            }
        }
    }

    public ProcessMachine Machine { get; }

    /// <summary>Runs goal and rule actions on deals (the one action model).</summary>
    public Crm.Kernel.Automation.ActionRunner Actions { get; }

    /// <summary>True when a loaded plug-in registered an action handler of this name.</summary>
    public bool HasHandler(string name) => _handlers.ContainsKey(name);

    /// <summary>The plug-in action handler of this name, or null.</summary>
    public Crm.Abstractions.Automation.IActionHandler? FindHandler(string name) => _handlers.GetValueOrDefault(name);

    /// <summary>Reads tenants' own settings (templates, calendars, …) over the defaults in code and options.</summary>
    public Crm.Kernel.Configuration.TenantConfiguration Configuration { get; }

    /// <summary>The host's calendar (<c>CrmKernelOptions.Calendar</c>): the default of a tenant that defined none.</summary>
    public BusinessCalendar Calendar { get; }

    /// <summary>True when some template waits for events of this type (so a committed event needs a look-up).</summary>
    public bool IsWaitedFor(string eventType) => _waitedFor.ContainsKey(eventType);

    public async ValueTask<ProcessInstance> StartAsync(UnitOfWork unit, string templateId, DealId? dealId, IReadOnlyDictionary<string, UserId>? roles,
        IReadOnlyDictionary<string, string>? variables, Cause cause, CancellationToken cancellationToken)
    {
        var latest = await Configuration.FindLatestTemplateAsync(unit, templateId, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("process template", templateId);
        var template = latest.Template;
        Deal? deal = dealId is { } d ? await unit.GetAsync(Kinds.Deal, d.Value, cancellationToken).ConfigureAwait(false) : null;
        var fallback = deal?.Owner ?? unit.Actor
            ?? throw new CrmValidationException("roles", $"process '{templateId}' needs a deal or a user to play its roles.");
        var resolved = new SortedDictionary<string, UserId>(StringComparer.Ordinal);
        foreach (var role in template.Roles)
        {
            if (roles is not null && roles.TryGetValue(role, out var user))
            {
                if (await unit.FindAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
                {
                    throw new CrmValidationException($"roles.{role}", $"user '{user}' is not an active user of this tenant.");
                }

                resolved[role] = user;
            }
            else
            {
                resolved[role] = role == "head" ? await DealOperations.HeadOfAsync(unit, fallback, cancellationToken).ConfigureAwait(false) : fallback;
            }
        }

        var id = Guid.NewGuid().ToString("N");
        var started = Machine.Start(id, template, variables);
        var instance = (ProcessInstance)(await unit.RecordAsync(
            new ProcessStarted(new ProcessId(id), template.Id, template.Version, deal?.Id, deal?.Client, resolved, new SortedDictionary<string, string>(started.Instance.Variables, StringComparer.Ordinal)),
            cause, cancellationToken).ConfigureAwait(false))!;
        return await EnterAsync(unit, instance, template, null, null, started.Step, cause, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<ProcessInstance> FireAsync(UnitOfWork unit, ProcessInstance instance, string trigger, Cause cause, CancellationToken cancellationToken)
    {
        var state = instance.ToMachineState();
        var resolved = await TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false);
        var result = Machine.Fire(state, trigger, resolved.Machine);
        var template = resolved.Template;
        return await EnterAsync(unit, instance, template, instance.CurrentStep, trigger, result.Step, cause, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<ProcessInstance> CancelAsync(UnitOfWork unit, ProcessInstance instance, string reason, Cause cause, CancellationToken cancellationToken)
    {
        if (instance.Status != ProcessStatus.Running)
        {
            throw new InvalidStateException($"Process '{instance.Id}' is already {instance.Status.ToString().ToLowerInvariant()}.");
        }

        CancelStepTimers(unit, instance, (await TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false)).Template.GetStep(instance.CurrentStep));
        return (ProcessInstance)(await unit.RecordAsync(new ProcessCancelled(instance.Id, reason), cause, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The deal an event is about, read from a <c>Deal</c> property of type <see cref="DealId"/>.</summary>
    public static DealId? DealOf(DomainEvent domainEvent)
    {
        var property = DealProperties.GetOrAdd(domainEvent.GetType(), static t =>
        {
            var p = t.GetProperty("Deal");
            return p is not null && (p.PropertyType == typeof(DealId) || p.PropertyType == typeof(DealId?)) ? p : null;
        });
        return property?.GetValue(domainEvent) as DealId?;
    }

    public static string TimerPrefix(string process, string step) => $"process:{process}:{step}";

    private async ValueTask<ProcessInstance> EnterAsync(UnitOfWork unit, ProcessInstance instance, ProcessTemplate template, string? from, string? trigger,
        string stepName, Cause outerCause, CancellationToken cancellationToken)
    {
        if (from is not null)
        {
            CancelStepTimers(unit, instance, template.GetStep(from));
        }

        var step = template.GetStep(stepName);
        var calendar = await Configuration.CalendarAsync(unit, cancellationToken).ConfigureAwait(false);
        var schedule = step.Schedule(unit.Now, calendar);
        var waits = step.OnEntry.OfType<WaitForEvent>().Select(w => new ProcessWait(w.EventType, w.Trigger)).ToArray();
        var cause = Cause.Process(instance.Id.Value, template.Name);
        instance = (ProcessInstance)(await unit.RecordAsync(
            new ProcessStepEntered(instance.Id, from, trigger, step.Name, step.IsFinal, step.IsFinal ? null : schedule.Deadline, waits),
            outerCause, cancellationToken).ConfigureAwait(false))!;

        if (!step.IsFinal)
        {
            var prefix = TimerPrefix(instance.Id.Value, step.Name);
            if (schedule.Deadline is { } deadline)
            {
                unit.SetTimer(new ScheduledTimer(prefix + ":deadline", unit.Tenant, deadline, DeadlineKind, instance.Id + "\n" + step.Name));
            }

            for (var i = 0; i < schedule.Reminders.Count; i++)
            {
                unit.SetTimer(new ScheduledTimer(prefix + ":reminder:" + i, unit.Tenant, schedule.Reminders[i], ReminderKind, instance.Id + "\n" + step.Name));
            }
        }

        foreach (var action in step.OnEntry)
        {
            await RunAsync(unit, instance, action, cause, cancellationToken).ConfigureAwait(false);
        }

        return await unit.GetAsync(Kinds.Process, instance.Id.Value, cancellationToken).ConfigureAwait(false);
    }

    private static void CancelStepTimers(UnitOfWork unit, ProcessInstance instance, ProcessStep step)
    {
        var prefix = TimerPrefix(instance.Id.Value, step.Name);
        unit.CancelTimer(prefix + ":deadline");
        for (var i = 0; i < step.Reminders.Count; i++)
        {
            unit.CancelTimer(prefix + ":reminder:" + i);
        }
    }

    private async ValueTask RunAsync(UnitOfWork unit, ProcessInstance instance, AutomationAction action, Cause cause, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case CreateTask task:
                var assignee = await AssigneeAsync(unit, instance, task.Assignee, cancellationToken).ConfigureAwait(false);
                var assigneeCalendar = await Configuration.CalendarOfAsync(unit, assignee, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new WorkTaskCreated(WorkTaskId.New(), task.Title, assignee, task.Due.AddTo(unit.Now, assigneeCalendar), instance.Deal, instance.Client),
                    cause, cancellationToken).ConfigureAwait(false);
                break;
            case Notify notify:
                var recipient = await AssigneeAsync(unit, instance, notify.To, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new NotificationRequested(recipient, notify.Subject, notify.Body, instance.Deal), cause, cancellationToken).ConfigureAwait(false);
                break;
            case SetField field:
                if (field.Field.StartsWith("deal.", StringComparison.Ordinal) && instance.Deal is { } deal)
                {
                    await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
                }

                // A process without a deal or client has no field or card to set.
                await ActionRunner.SetAsync(unit, instance.Deal, instance.Client, field, cause, cancellationToken).ConfigureAwait(false);
                break;
            case StartProcess sub:
                var roles = instance.Roles;
                var deal2 = instance.Deal;
                unit.Enqueue($"start process {sub.Template} from {instance.Id}",
                    (u, ct) => new ValueTask(StartAsync(u, sub.Template, deal2, roles, null, cause, ct).AsTask()));
                break;
            case WaitForEvent:
                break; // recorded on the step (ProcessStepEntered.Waits); the reactor fires the trigger when the event comes.
            case PluginAction plugin when instance.Deal is { } pluginDeal:
                var handler = FindHandler(plugin.Handler) ?? throw new InvalidStateException(
                    $"Process '{instance.Id}' calls plug-in action '{plugin.Handler}', which no loaded plug-in provides; load the plug-in.");
                var view = (await unit.GetAsync(Kinds.Deal, pluginDeal.Value, cancellationToken).ConfigureAwait(false)).ToView();
                await handler.ExecuteAsync(new ActionContext(unit.Tenant, instance.TemplateId, view, plugin.Parameters), cancellationToken).ConfigureAwait(false);
                break;
            case PluginAction:
                break; // a process without a deal has no deal to hand to the handler.
            default:
                throw new InvalidStateException($"'{AutomationValidation.Kind(action)}' cannot run in a process step.");
        }
    }

    private static async ValueTask<UserId> AssigneeAsync(UnitOfWork unit, ProcessInstance instance, Recipient assignee, CancellationToken cancellationToken) => assignee.Kind switch
    {
        RecipientKind.User when assignee.Name is not null => new UserId(assignee.Name),
        RecipientKind.Role when assignee.Name is not null && instance.Roles.TryGetValue(assignee.Name, out var player) => player,
        RecipientKind.Role => throw new InvalidStateException($"Process '{instance.Id}' has nobody in role '{assignee.Name}'."),
        RecipientKind.DealOwner when instance.Deal is { } deal => (await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false)).Owner,
        RecipientKind.OwnerHead when instance.Deal is { } deal => await DealOperations.HeadOfAsync(unit, (await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false)).Owner, cancellationToken).ConfigureAwait(false),
        _ => throw new InvalidStateException($"Process '{instance.Id}' cannot resolve '{assignee}' (it has no deal)."),
    };

    /// <summary>The user responsible for a step: the player of its role, else the deal's owner.</summary>
    public async ValueTask<UserId?> ResponsibleAsync(UnitOfWork unit, ProcessInstance instance, CancellationToken cancellationToken)
    {
        var step = (await TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false)).Template.FindStep(instance.CurrentStep);
        if (step?.ResponsibleRole is { } role && instance.Roles.TryGetValue(role, out var user))
        {
            return user;
        }

        return instance.Deal is { } deal ? (await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false))?.Owner : null;
    }

    /// <summary>The template version an instance runs on, for its tenant: the tenant's own version, else the default in code.</summary>
    public ValueTask<Configuration.ResolvedTemplate> TemplateAsync(UnitOfWork unit, ProcessInstance instance, CancellationToken cancellationToken) =>
        Configuration.TemplateAsync(unit, instance.TemplateId, instance.TemplateVersion, cancellationToken);

    /// <summary>The triggers permitted now in the instance's step, on the template version it started with.</summary>
    public async ValueTask<IReadOnlyList<string>> PermittedTriggersAsync(UnitOfWork unit, ProcessInstance instance, CancellationToken cancellationToken)
    {
        if (instance.Status != ProcessStatus.Running)
        {
            return [];
        }

        var resolved = await TemplateAsync(unit, instance, cancellationToken).ConfigureAwait(false);
        return resolved.Machine.PermittedTriggers(instance.ToMachineState());
    }
}
