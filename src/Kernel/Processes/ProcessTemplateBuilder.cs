using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Rules;
using Crm.Abstractions;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Processes;

/// <summary>
/// Fluent builder of a <see cref="ProcessTemplate"/>; start with <see cref="ProcessTemplate.Create"/>.
/// <see cref="Build"/> validates the whole template and reports every problem with the path it would have in JSON.
/// </summary>
public sealed class ProcessTemplateBuilder
{
    private readonly string _id;
    private readonly int _version;
    private readonly string _name;
    private readonly List<string> _roles = [];
    private readonly List<ProcessStepBuilder> _steps = [];
    private string? _initialStep;

    internal ProcessTemplateBuilder(string id, int version, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        _id = id;
        _version = version;
        _name = name;
    }

    /// <summary>Declares a role that steps and actions may refer to.</summary>
    /// <exception cref="ArgumentException"><paramref name="role"/> is blank.</exception>
    public ProcessTemplateBuilder Role(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        _roles.Add(role);
        return this;
    }

    /// <summary>Sets the step new instances start in; by default the first step declared.</summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is blank.</exception>
    public ProcessTemplateBuilder InitialStep(string step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        _initialStep = step;
        return this;
    }

    /// <summary>Declares a step and configures it.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is blank.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is null.</exception>
    public ProcessTemplateBuilder Step(string name, Action<ProcessStepBuilder> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        var step = new ProcessStepBuilder(name);
        configure(step);
        _steps.Add(step);
        return this;
    }

    /// <summary>Declares a final step (entering it completes the process), optionally configuring its on-entry actions.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is blank.</exception>
    public ProcessTemplateBuilder FinalStep(string name, Action<ProcessStepBuilder>? configure = null) =>
        Step(name, s =>
        {
            s.Final();
            configure?.Invoke(s);
        });

    /// <summary>Validates and builds the template.</summary>
    /// <exception cref="CrmValidationException">The template is inconsistent; <see cref="CrmValidationException.Errors"/> lists every problem with its path.</exception>
    public ProcessTemplate Build()
    {
        var template = new ProcessTemplate(
            _id,
            _version,
            _name,
            _roles,
            _initialStep ?? (_steps.Count > 0 ? _steps[0].Name : ""),
            _steps.Select(s => s.ToStep()));
        ProcessTemplateValidator.ThrowIfInvalid(template);
        return template;
    }
}

/// <summary>Configures one step inside <see cref="ProcessTemplateBuilder.Step"/>.</summary>
public sealed class ProcessStepBuilder
{
    private readonly List<BusinessDuration> _reminders = [];
    private readonly List<AutomationAction> _onEntry = [];
    private readonly List<ProcessTransition> _transitions = [];
    private string? _responsibleRole;
    private BusinessDuration? _deadline;
    private bool _escalateToHead;
    private bool _final;

    internal ProcessStepBuilder(string name) => Name = name;

    /// <summary>The step's name.</summary>
    public string Name { get; }

    /// <summary>Sets the role responsible for the step (must be declared with <see cref="ProcessTemplateBuilder.Role"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="role"/> is blank.</exception>
    public ProcessStepBuilder ResponsibleRole(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        _responsibleRole = role;
        return this;
    }

    /// <summary>Sets how long the step may take, counted from entering it.</summary>
    public ProcessStepBuilder Deadline(BusinessDuration deadline)
    {
        _deadline = deadline;
        return this;
    }

    /// <summary>Adds a reminder <paramref name="beforeDeadline"/> before the deadline.</summary>
    public ProcessStepBuilder Remind(BusinessDuration beforeDeadline)
    {
        _reminders.Add(beforeDeadline);
        return this;
    }

    /// <summary>When the deadline passes, escalate to the head of the responsible person.</summary>
    public ProcessStepBuilder EscalateToHeadOnTimeout()
    {
        _escalateToHead = true;
        return this;
    }

    /// <summary>Adds actions the kernel executes when an instance enters the step.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="actions"/> or one of them is null.</exception>
    public ProcessStepBuilder OnEntry(params AutomationAction[] actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        foreach (var action in actions)
        {
            _onEntry.Add(action ?? throw new ArgumentNullException(nameof(actions), "An on-entry action is null."));
        }

        return this;
    }

    /// <summary>Firing <paramref name="trigger"/> moves the instance to <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="trigger"/> or <paramref name="target"/> is blank.</exception>
    public ProcessStepBuilder Permit(string trigger, string target) => Add(trigger, target, null, null, null);

    /// <summary>Like <see cref="Permit"/>, only while <paramref name="condition"/> holds over the instance's variables.</summary>
    /// <exception cref="ArgumentException"><paramref name="trigger"/> or <paramref name="target"/> is blank.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="condition"/> is null.</exception>
    public ProcessStepBuilder PermitIf(string trigger, string target, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return Add(trigger, target, condition, null, null);
    }

    /// <summary>
    /// Like <see cref="Permit"/>, only while the C# <paramref name="predicate"/> holds over the instance's variables.
    /// Such a template cannot be written to JSON.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="trigger"/>, <paramref name="target"/> or <paramref name="description"/> is blank.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="predicate"/> is null.</exception>
    public ProcessStepBuilder PermitIf(
        string trigger, string target, Func<IReadOnlyDictionary<string, string>, bool> predicate, string description)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        return Add(trigger, target, null, predicate, description);
    }

    /// <summary>Marks the step final: entering it completes the process.</summary>
    public ProcessStepBuilder Final()
    {
        _final = true;
        return this;
    }

    internal ProcessStep ToStep() =>
        new(Name, _responsibleRole, _deadline, _reminders, _escalateToHead, _final, _onEntry, _transitions);

    private ProcessStepBuilder Add(
        string trigger, string target, Condition? condition, Func<IReadOnlyDictionary<string, string>, bool>? predicate, string? description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trigger);
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        _transitions.Add(new ProcessTransition(trigger, target, condition, predicate, description));
        return this;
    }
}
