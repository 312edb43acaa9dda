using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Rules;
using Crm.Abstractions;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Kernel.Processes;

/// <summary>
/// A way out of a step: firing <see cref="Trigger"/> moves the instance to <see cref="Target"/> when the guard holds.
/// </summary>
public sealed record ProcessTransition
{
    internal ProcessTransition(
        string trigger,
        string target,
        Condition? condition,
        Func<IReadOnlyDictionary<string, string>, bool>? predicate,
        string? predicateDescription)
    {
        Trigger = trigger;
        Target = target;
        Condition = condition;
        Predicate = predicate;
        PredicateDescription = predicateDescription;
    }

    /// <summary>The trigger name, e.g. <c>picked</c>.</summary>
    public string Trigger { get; }

    /// <summary>The step entered when the trigger fires.</summary>
    public string Target { get; }

    /// <summary>A serializable guard over the instance's variables, or null.</summary>
    public Condition? Condition { get; }

    /// <summary>A C# guard (code-built templates only; not written to JSON), or null.</summary>
    public Func<IReadOnlyDictionary<string, string>, bool>? Predicate { get; }

    /// <summary>What <see cref="Predicate"/> checks, shown in exported graphs and error messages.</summary>
    public string? PredicateDescription { get; }

    /// <summary>Whether the transition has any guard.</summary>
    public bool IsGuarded => Condition is not null || Predicate is not null;

    /// <summary>Whether every guard holds for <paramref name="variables"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="variables"/> is null.</exception>
    public bool GuardHolds(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return (Condition is null || Condition.IsTrue(variables)) && (Predicate is null || Predicate(variables));
    }

    /// <summary>A description of the guard, or null when unguarded.</summary>
    public string? DescribeGuard() => (Condition, Predicate) switch
    {
        (null, null) => null,
        (not null, null) => Condition.Describe(),
        (null, not null) => PredicateDescription ?? "code guard",
        _ => $"{Condition!.Describe()} and {PredicateDescription ?? "code guard"}",
    };
}

/// <summary>Where the deadline and reminders of a step fall for one instance.</summary>
/// <param name="Deadline">When the step is due, or null when it has no deadline.</param>
/// <param name="Reminders">When to remind the responsible person, earliest first, each after the step was entered.</param>
/// <param name="EscalateToHeadAtDeadline">Whether the responsible person's head is to be told at the deadline.</param>
internal sealed record ProcessStepSchedule(Instant? Deadline, IReadOnlyList<Instant> Reminders, bool EscalateToHeadAtDeadline);

/// <summary>One step of a <see cref="ProcessTemplate"/>: who is responsible, by when, what happens on entry, and the ways out.</summary>
public sealed record ProcessStep
{
    internal ProcessStep(
        string name,
        string? responsibleRole,
        BusinessDuration? deadline,
        IEnumerable<BusinessDuration> reminders,
        bool escalateToHead,
        bool isFinal,
        IEnumerable<AutomationAction> onEntry,
        IEnumerable<ProcessTransition> transitions)
    {
        Name = name;
        ResponsibleRole = responsibleRole;
        Deadline = deadline;
        Reminders = new ValueList<BusinessDuration>(reminders);
        EscalateToHead = escalateToHead;
        IsFinal = isFinal;
        OnEntry = new ValueList<AutomationAction>(onEntry);
        Transitions = new ValueList<ProcessTransition>(transitions);
    }

    /// <summary>The step's name, unique in its template.</summary>
    public string Name { get; }

    /// <summary>The role responsible for the step (declared in the template's roles), or null.</summary>
    public string? ResponsibleRole { get; }

    /// <summary>How long the step may take, counted from entering it; null for no deadline.</summary>
    public BusinessDuration? Deadline { get; }

    /// <summary>Reminders, each a business duration before <see cref="Deadline"/>.</summary>
    public IReadOnlyList<BusinessDuration> Reminders { get; }

    /// <summary>Whether the deadline passing (the step timing out) escalates to the responsible person's head.</summary>
    public bool EscalateToHead { get; }

    /// <summary>Whether entering this step completes the process.</summary>
    public bool IsFinal { get; }

    /// <summary>Actions the kernel executes when an instance enters the step, in order.</summary>
    public IReadOnlyList<AutomationAction> OnEntry { get; }

    /// <summary>The ways out of the step.</summary>
    public IReadOnlyList<ProcessTransition> Transitions { get; }

    /// <summary>
    /// The deadline and reminder instants for an instance that entered the step at <paramref name="enteredAt"/>.
    /// Reminders that would fall before <paramref name="enteredAt"/> are left out.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    internal ProcessStepSchedule Schedule(Instant enteredAt, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (Deadline is not { } deadline)
        {
            return new ProcessStepSchedule(null, [], false);
        }

        var due = deadline.AddTo(enteredAt, calendar);
        var reminders = new List<Instant>(Reminders.Count);
        foreach (var before in Reminders)
        {
            var at = before.SubtractFrom(due, calendar);
            if (at >= enteredAt)
            {
                reminders.Add(at);
            }
        }

        reminders.Sort();
        return new ProcessStepSchedule(due, reminders, EscalateToHead);
    }
}
