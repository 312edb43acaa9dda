using System.Collections.Concurrent;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Processes;

/// <summary>
/// The façade through which the kernel drives process instances: it knows the registered template versions, owns one
/// configured Stateless machine per version (<see cref="ProcessMachineCache"/>) and moves an in-memory
/// <see cref="ProcessInstanceState"/> from step to step. I/O-free: the kernel loads the instance, calls
/// <see cref="Fire(ProcessInstanceState, string)"/>, executes the returned actions and stores the instance in one unit of work. Thread-safe.
/// </summary>
internal sealed class ProcessMachine
{
    private readonly ConcurrentDictionary<(string Id, int Version), ProcessTemplate> _templates = new();
    private readonly ConcurrentDictionary<string, int> _latest = new(StringComparer.Ordinal);
    private readonly IClock _clock;

    /// <summary>Creates a machine that stamps step entries with <paramref name="clock"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="clock"/> is null.</exception>
    public ProcessMachine(IClock clock)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
    }

    /// <summary>The cache of configured machines (one per template version used).</summary>
    public ProcessMachineCache Cache { get; } = new();

    /// <summary>The newest version of every registered template, in id order.</summary>
    public IReadOnlyList<ProcessTemplate> Templates =>
        _latest.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => GetTemplate(p.Key, p.Value)).ToArray();

    /// <summary>
    /// Makes a template version available. Registering an equal template again is harmless; a different template with
    /// the same id and version is refused, since running instances depend on it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    /// <exception cref="InvalidStateException">Another template with the same id and version is registered.</exception>
    public void Register(ProcessTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var existing = _templates.GetOrAdd((template.Id, template.Version), template);
        if (!ReferenceEquals(existing, template) && !existing.Equals(template))
        {
            throw new InvalidStateException(
                $"Process template '{template.Id}' v{template.Version} is already registered with different content; give the changed template a new version.");
        }

        _latest.AddOrUpdate(template.Id, template.Version, (_, v) => Math.Max(v, template.Version));
    }

    /// <summary>The registered template version.</summary>
    /// <exception cref="EntityNotFoundException">No such template version is registered.</exception>
    public ProcessTemplate GetTemplate(string templateId, int version) =>
        _templates.TryGetValue((templateId, version), out var t)
            ? t
            : throw new EntityNotFoundException("process template", $"{templateId} v{version}");

    /// <summary>The registered template version, or null.</summary>
    internal ProcessTemplate? FindTemplate(string templateId, int version) =>
        _templates.TryGetValue((templateId, version), out var t) ? t : null;

    /// <summary>The newest registered version of a template, or null when none is registered.</summary>
    internal ProcessTemplate? FindLatestTemplate(string templateId) =>
        _latest.TryGetValue(templateId, out var v) ? FindTemplate(templateId, v) : null;

    /// <summary>The newest registered version of a template.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="templateId"/> is null.</exception>
    /// <exception cref="EntityNotFoundException">No version of the template is registered.</exception>
    public ProcessTemplate GetLatestTemplate(string templateId)
    {
        ArgumentNullException.ThrowIfNull(templateId);
        return _latest.TryGetValue(templateId, out var v)
            ? GetTemplate(templateId, v)
            : throw new EntityNotFoundException("process template", templateId);
    }

    /// <summary>
    /// Starts an instance of the newest version of <paramref name="templateId"/> in its initial step. The result carries
    /// the new instance (to be stored by the caller) and the initial step's on-entry actions.
    /// </summary>
    /// <param name="instanceId">The new instance's id.</param>
    /// <param name="templateId">The template to run.</param>
    /// <param name="variables">Initial variables, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="instanceId"/> is blank.</exception>
    /// <exception cref="EntityNotFoundException">No version of the template is registered.</exception>
    public TransitionResult Start(string instanceId, string templateId, IReadOnlyDictionary<string, string>? variables = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        return Start(instanceId, GetLatestTemplate(templateId), variables);
    }

    /// <summary>Starts an instance of exactly <paramref name="template"/> (a tenant's own version or a default in code).</summary>
    internal TransitionResult Start(string instanceId, ProcessTemplate template, IReadOnlyDictionary<string, string>? variables)
    {
        var now = _clock.GetCurrentInstant();
        var initial = template.GetStep(template.InitialStep);
        var instance = new ProcessInstanceState
        {
            Id = instanceId,
            TemplateId = template.Id,
            TemplateVersion = template.Version,
            CurrentStep = initial.Name,
            StartedAt = now,
            StepEnteredAt = now,
            Status = initial.IsFinal ? ProcessStatus.Completed : ProcessStatus.Running,
        };
        if (variables is not null)
        {
            foreach (var (k, v) in variables)
            {
                instance.Variables[k] = v;
            }
        }

        return new TransitionResult(instance, null, null, initial.Name, initial.OnEntry, instance.Status);
    }

    /// <summary>
    /// Fires <paramref name="trigger"/> on <paramref name="instance"/> with the template version the instance started
    /// with, evaluating guards against its variables. Updates <paramref name="instance"/> in place (step, entry time,
    /// status) and returns the entered step's on-entry actions for the kernel to execute.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="EntityNotFoundException">The instance's template version is not registered.</exception>
    /// <exception cref="InvalidStateException">
    /// The instance is not running, or the trigger is not permitted in its current step (the message lists the permitted
    /// triggers and any unmet guard). The instance is unchanged.
    /// </exception>
    public TransitionResult Fire(ProcessInstanceState instance, string trigger)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(trigger);
        if (instance.Status != ProcessStatus.Running)
        {
            throw new InvalidStateException(
                $"Process instance '{instance.Id}' is {instance.Status.ToString().ToLowerInvariant()}; trigger '{trigger}' can only be fired on a running instance.");
        }

        return Fire(instance, trigger, MachineFor(instance));
    }

    /// <summary>Fires <paramref name="trigger"/> on a running instance with the given configured machine (a tenant's own template version).</summary>
    internal TransitionResult Fire(ProcessInstanceState instance, string trigger, ConfiguredProcessMachine machine)
    {
        if (instance.Status != ProcessStatus.Running)
        {
            throw new InvalidStateException(
                $"Process instance '{instance.Id}' is {instance.Status.ToString().ToLowerInvariant()}; trigger '{trigger}' can only be fired on a running instance.");
        }

        var from = instance.CurrentStep;
        machine.Fire(instance, trigger);
        var entered = machine.Template.GetStep(instance.CurrentStep);
        instance.StepEnteredAt = _clock.GetCurrentInstant();
        if (entered.IsFinal)
        {
            instance.Status = ProcessStatus.Completed;
        }

        return new TransitionResult(instance, from, trigger, entered.Name, entered.OnEntry, instance.Status);
    }

    /// <summary>The triggers permitted now in the instance's step (guards evaluated against its variables).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="instance"/> is null.</exception>
    /// <exception cref="EntityNotFoundException">The instance's template version is not registered.</exception>
    public IReadOnlyList<string> PermittedTriggers(ProcessInstanceState instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.Status == ProcessStatus.Running ? MachineFor(instance).PermittedTriggers(instance) : [];
    }

    /// <summary>Marks a running instance cancelled; no further triggers are accepted.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="instance"/> is null.</exception>
    /// <exception cref="InvalidStateException">The instance is not running.</exception>
    public void Cancel(ProcessInstanceState instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.Status != ProcessStatus.Running)
        {
            throw new InvalidStateException($"Process instance '{instance.Id}' is already {instance.Status.ToString().ToLowerInvariant()}.");
        }

        instance.Status = ProcessStatus.Cancelled;
    }

    private ConfiguredProcessMachine MachineFor(ProcessInstanceState instance) =>
        Cache.Find(instance.TemplateId, instance.TemplateVersion)
        ?? Cache.GetOrAdd(GetTemplate(instance.TemplateId, instance.TemplateVersion));
}
