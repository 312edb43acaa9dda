using System.Collections.Concurrent;
using Crm.Abstractions;
using Stateless;

namespace Crm.Kernel.Processes;

/// <summary>
/// Holds one configured Stateless machine per (template id, version), built the first time that version is used.
/// Owned by one <see cref="ProcessMachine"/> (no static state: two kernels in one process do not share it). Thread-safe.
/// </summary>
/// <remarks>
/// A machine is configured once per version; see <see cref="ConfiguredProcessMachine"/> for how one cached machine
/// serves many instances.
/// </remarks>
internal sealed class ProcessMachineCache
{
    private readonly ConcurrentDictionary<(string Id, int Version), Lazy<ConfiguredProcessMachine>> _machines = new();
    private int _configurations;

    /// <summary>How many machines were configured so far (one per template version used).</summary>
    public int Configurations => Volatile.Read(ref _configurations);

    /// <summary>How many template versions have a cached machine.</summary>
    public int Count => _machines.Count;

    /// <summary>The configured machine for <paramref name="template"/>'s id and version, configuring it on first use.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    /// <exception cref="InvalidStateException">A different template with the same id and version is already cached.</exception>
    public ConfiguredProcessMachine GetOrAdd(ProcessTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        // Lazy keeps two racing threads from both configuring the same version.
        var machine = _machines.GetOrAdd(
            (template.Id, template.Version),
            static (_, state) => new Lazy<ConfiguredProcessMachine>(() =>
            {
                Interlocked.Increment(ref state.Cache._configurations);
                return new ConfiguredProcessMachine(state.Template);
            }),
            (Cache: this, Template: template)).Value;
        if (!ReferenceEquals(machine.Template, template) && !machine.Template.Equals(template))
        {
            throw new InvalidStateException(
                $"Process template '{template.Id}' v{template.Version} is already in use with different content. A changed template needs a new version; running instances keep the old one.");
        }

        return machine;
    }

    /// <summary>The cached machine for a template version, or null when it was never used.</summary>
    public ConfiguredProcessMachine? Find(string templateId, int version) =>
        _machines.TryGetValue((templateId, version), out var lazy) ? lazy.Value : null;
}

/// <summary>
/// One Stateless <see cref="StateMachine{TState, TTrigger}"/> configured for one template version, whose external state
/// accessor reads and writes the instance currently being handled, held in a field (never storage).
/// </summary>
/// <remarks>
/// Concurrency: the machine is shared by every instance of the version, so the field holding "the current instance" must
/// belong to one caller at a time: each Fire takes a lock, so callers of one version fire one after another. Immediate
/// firing mode: the kernel queues cascades itself, so Stateless' internal queue is not needed.
/// </remarks>
internal sealed class ConfiguredProcessMachine
{
    private readonly StateMachine<string, string> _machine;
    private readonly Lock _gate = new();
    // Stands in for "no instance" (Stateless reads the state while constructing), so the accessor needs no null check.
    private readonly ProcessInstanceState _idle;
    private ProcessInstanceState _current;

    internal ConfiguredProcessMachine(ProcessTemplate template)
    {
        Template = template;
        _idle = new ProcessInstanceState { TemplateId = template.Id, TemplateVersion = template.Version, CurrentStep = template.InitialStep };
        _current = _idle;
        _machine = new StateMachine<string, string>(
            () => _current.CurrentStep,
            step => _current.CurrentStep = step,
            FiringMode.Immediate);
        Configure(_machine, template, () => _current.Variables);
        _machine.OnUnhandledTrigger((step, trigger, unmetGuards) => throw NotPermitted(step, trigger, unmetGuards));
    }

    /// <summary>The template version this machine runs.</summary>
    public ProcessTemplate Template { get; }

    internal void Fire(ProcessInstanceState instance, string trigger)
    {
        lock (_gate)
        {
            _current = instance;
            try
            {
                _machine.Fire(trigger);
            }
            finally
            {
                _current = _idle;
            }
        }
    }

    // Read from the template rather than the Stateless machine: same guards, no lock, and Stateless' synchronous
    // GetPermittedTriggers is obsolete.
    internal IReadOnlyList<string> PermittedTriggers(ProcessInstanceState instance) =>
        PermittedTriggers(instance.CurrentStep, instance.Variables);

    private IReadOnlyList<string> PermittedTriggers(string step, IReadOnlyDictionary<string, string> variables)
    {
        var result = new List<string>();
        if (Template.FindStep(step) is not { } current)
        {
            return result;
        }

        foreach (var transition in current.Transitions)
        {
            if (!result.Contains(transition.Trigger) && transition.GuardHolds(variables))
            {
                result.Add(transition.Trigger);
            }
        }

        return result;
    }

    /// <summary>Configures <paramref name="machine"/> with the template's steps, transitions and guards.</summary>
    internal static void Configure(
        StateMachine<string, string> machine, ProcessTemplate template, Func<IReadOnlyDictionary<string, string>> variables)
    {
        foreach (var step in template.Steps)
        {
            var state = machine.Configure(step.Name);
            foreach (var transition in step.Transitions)
            {
                if (transition.IsGuarded)
                {
                    var t = transition;
                    state.PermitIf(t.Trigger, t.Target, () => t.GuardHolds(variables()), t.DescribeGuard());
                }
                else
                {
                    state.Permit(transition.Trigger, transition.Target);
                }
            }
        }
    }

    private InvalidStateException NotPermitted(string step, string trigger, ICollection<string>? unmetGuards)
    {
        var permitted = PermittedTriggers(step, _current.Variables);
        var because = unmetGuards is { Count: > 0 } ? $" (guard not met: {string.Join(", ", unmetGuards)})" : "";
        var allowed = permitted.Count == 0 ? "none" : string.Join(", ", permitted.Select(p => $"'{p}'"));
        return new InvalidStateException(
            $"Trigger '{trigger}' is not permitted in step '{step}' of process '{Template.Id}' v{Template.Version}{because}. Permitted now: {allowed}.");
    }
}
