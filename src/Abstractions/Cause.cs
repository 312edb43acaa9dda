namespace Crm.Abstractions;

/// <summary>What made a change happen: the reason recorded in the journal and in a deal's stage history.</summary>
public enum CauseKind
{
    /// <summary>A user did it by hand (a card moved on the board, a field edited).</summary>
    Manual = 0,
    /// <summary>A goal was achieved and one of its reactions did it.</summary>
    Goal = 1,
    /// <summary>A business rule did it.</summary>
    Rule = 2,
    /// <summary>A business process step did it.</summary>
    Process = 3,
    /// <summary>An import from another system did it.</summary>
    Import = 4,
    /// <summary>An integration (telephony, website, mail) did it.</summary>
    Integration = 5,
    /// <summary>The kernel itself did it (a timer, a reassignment on deactivation).</summary>
    System = 6,
}

/// <summary>The cause of a change: its kind, the id of what caused it (goal, rule, process) and a readable text.</summary>
/// <param name="Kind">The kind of cause.</param>
/// <param name="Reference">The id of the goal, rule, process or integration, when there is one.</param>
/// <param name="Description">A short text for people, e.g. the goal's name.</param>
public readonly record struct Cause(CauseKind Kind, string? Reference = null, string? Description = null)
{
    /// <summary>A manual change by the session's user.</summary>
    public static Cause Manual { get; } = new(CauseKind.Manual);

    /// <summary>A change made by achieving a goal.</summary>
    public static Cause Goal(GoalId goal, string? name = null) => new(CauseKind.Goal, goal.Value, name);

    /// <summary>A change made by a business rule.</summary>
    public static Cause Rule(string ruleId, string? name = null) => new(CauseKind.Rule, ruleId, name);

    /// <summary>A change made by a business process.</summary>
    public static Cause Process(string processId, string? name = null) => new(CauseKind.Process, processId, name);

    /// <summary>A change made by the kernel itself.</summary>
    public static Cause System(string? description = null) => new(CauseKind.System, null, description);

    /// <inheritdoc />
    public override string ToString() => Reference is null ? Kind.ToString() : $"{Kind} {Reference}{(Description is null ? "" : $" ({Description})")}";
}
