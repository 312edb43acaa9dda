using System.Text.Json.Serialization;
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

    /// <summary>The stage's designated manager, used by <see cref="AssignOwnerToStageManager"/>.</summary>
    public UserId? Manager { get; init; }

    /// <summary>True for the "Unsorted" inbox stage where deals from unknown callers and orders land.</summary>
    public bool IsUnsorted { get; init; }
}

/// <summary>A goal inside a stage. Achieving it runs its reactions, in order, in the same unit of work.</summary>
/// <param name="Id">The goal's id, unique within its pipeline.</param>
/// <param name="Name">The name shown to people, e.g. "requirements received".</param>
/// <param name="Reactions">What the kernel does when the goal is achieved.</param>
public sealed record GoalDefinition(GoalId Id, string Name, IReadOnlyList<Reaction> Reactions);

/// <summary>Something the kernel does by itself when a goal is achieved.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(MoveToStage), "moveToStage")]
[JsonDerivedType(typeof(SetClientClassifier), "setClientClassifier")]
[JsonDerivedType(typeof(SetDealField), "setDealField")]
[JsonDerivedType(typeof(AssignOwnerToUser), "assignOwnerToUser")]
[JsonDerivedType(typeof(AssignOwnerRoundRobin), "assignOwnerRoundRobin")]
[JsonDerivedType(typeof(AssignOwnerToStageManager), "assignOwnerToStageManager")]
[JsonDerivedType(typeof(CreateTask), "createTask")]
[JsonDerivedType(typeof(Notify), "notify")]
[JsonDerivedType(typeof(StartProcess), "startProcess")]
[JsonDerivedType(typeof(AchieveGoal), "achieveGoal")]
public abstract record Reaction
{
    private protected Reaction()
    {
    }
}

/// <summary>Moves the deal to a stage (a validated move: required fields are checked).</summary>
/// <param name="Stage">The target stage.</param>
public sealed record MoveToStage(StageId Stage) : Reaction;

/// <summary>Sets an operational classifier on the deal's client card, e.g. <c>status = customer</c>.</summary>
/// <param name="Name">The classifier's name.</param>
/// <param name="Value">Its value.</param>
public sealed record SetClientClassifier(string Name, string Value) : Reaction;

/// <summary>Sets a custom field on the deal.</summary>
/// <param name="Name">The field's name.</param>
/// <param name="Value">Its value; null clears it.</param>
public sealed record SetDealField(string Name, string? Value) : Reaction;

/// <summary>Hands the deal to a named user.</summary>
/// <param name="User">The new owner; must be active.</param>
public sealed record AssignOwnerToUser(UserId User) : Reaction;

/// <summary>Hands the deal to the next active member of a team, in turn (inactive members are skipped).</summary>
/// <param name="Team">The team.</param>
public sealed record AssignOwnerRoundRobin(TeamId Team) : Reaction;

/// <summary>Hands the deal to a stage's designated manager.</summary>
/// <param name="Stage">The stage whose manager takes it; null: the stage the deal is in when the reaction runs.</param>
public sealed record AssignOwnerToStageManager(StageId? Stage = null) : Reaction;

/// <summary>Who a task or a notification is for.</summary>
public enum Recipient
{
    /// <summary>The deal's owner when the reaction runs.</summary>
    DealOwner = 0,
    /// <summary>The head of the owner's team.</summary>
    OwnerHead = 1,
    /// <summary>A named user.</summary>
    User = 2,
}

/// <summary>Creates a work task linked to the deal.</summary>
/// <param name="Title">The task's title.</param>
/// <param name="DueIn">How long after the reaction the task is due.</param>
/// <param name="For">Who gets it.</param>
/// <param name="User">The user, when <paramref name="For"/> is <see cref="Recipient.User"/>.</param>
public sealed record CreateTask(string Title, Duration DueIn, Recipient For = Recipient.DealOwner, UserId? User = null) : Reaction;

/// <summary>Sends a notification through the notification channels.</summary>
/// <param name="Subject">The subject.</param>
/// <param name="Body">The body.</param>
/// <param name="To">Who gets it.</param>
/// <param name="User">The user, when <paramref name="To"/> is <see cref="Recipient.User"/>.</param>
public sealed record Notify(string Subject, string Body, Recipient To = Recipient.DealOwner, UserId? User = null) : Reaction;

/// <summary>Starts a business process for the deal.</summary>
/// <param name="TemplateId">The process template's id.</param>
public sealed record StartProcess(string TemplateId) : Reaction;

/// <summary>Achieves another goal of the stage the deal is in when the reaction runs (a chain of goals).</summary>
/// <param name="Goal">The goal.</param>
public sealed record AchieveGoal(GoalId Goal) : Reaction;
