using Crm.Abstractions.Automation;
using NodaTime;

namespace Crm.Abstractions;

/// <summary>Whether a stage is still open, or closes the deal as won or lost.</summary>
public enum StageKind
{
    /// <summary>The deal is still being worked.</summary>
    Open = 0,
    /// <summary>Entering it closes the deal as won.</summary>
    Won = 1,
    /// <summary>Entering it closes the deal as lost.</summary>
    Lost = 2,
}

/// <summary>
/// A pipeline (funnel profile): an ordered path of stages. Open stages come in path order; won and lost stages close
/// a deal. A tenant may have several pipelines.
/// </summary>
/// <param name="Id">The pipeline's id.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Stages">The stages in path order.</param>
public sealed record PipelineDefinition(PipelineId Id, string Name, IReadOnlyList<StageDefinition> Stages)
{
    /// <summary>Who owns a deal created from an unknown caller: whoever answered (default), or the unsorted stage's manager.</summary>
    public UnknownCallerOwner UnknownCallerOwner { get; init; } = UnknownCallerOwner.Answerer;

    /// <summary>The stage with the given id, or null.</summary>
    public StageDefinition? FindStage(StageId id)
    {
        foreach (var stage in Stages)
        {
            if (stage.Id == id)
            {
                return stage;
            }
        }

        return null;
    }
}

/// <summary>Who owns a deal that an unknown caller created.</summary>
public enum UnknownCallerOwner
{
    /// <summary>The user who answered the call.</summary>
    Answerer = 0,
    /// <summary>The designated manager of the pipeline's unsorted stage.</summary>
    StageManager = 1,
}

/// <summary>One stage of a pipeline.</summary>
/// <param name="Id">The stage's id, unique within its pipeline.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Kind">Open, won or lost.</param>
public sealed record StageDefinition(StageId Id, string Name, StageKind Kind = StageKind.Open)
{
    /// <summary>How long a deal should stay here at most; longer means it is "rotting". Null: no norm.</summary>
    public Duration? Norm { get; init; }

    /// <summary>The default win probability in [0, 1] of a deal in this stage, unless set on the deal.</summary>
    public decimal? WinProbability { get; init; }

    /// <summary>Deal fields (custom fields, or <c>amount</c>, <c>expectedClose</c>) that must be set before a deal may enter.</summary>
    public IReadOnlyList<string> RequiredFields { get; init; } = [];

    /// <summary>The goals that may be achieved in this stage.</summary>
    public IReadOnlyList<GoalDefinition> Goals { get; init; } = [];

    /// <summary>The stage's designated manager, used by an <see cref="AssignOwner"/> to <c>stageManager</c>.</summary>
    public UserId? Manager { get; init; }

    /// <summary>True for the "Unsorted" inbox stage where deals from unknown callers and orders land.</summary>
    public bool IsUnsorted { get; init; }
}

/// <summary>A goal inside a stage. Achieving it runs its reactions, in order, in the same unit of work.</summary>
/// <param name="Id">The goal's id, unique within its pipeline.</param>
/// <param name="Name">The name shown to people, e.g. "requirements received".</param>
/// <param name="Reactions">What the kernel does when the goal is achieved: actions of the one action model (<see cref="AutomationAction"/>).</param>
public sealed record GoalDefinition(GoalId Id, string Name, IReadOnlyList<AutomationAction> Reactions);
