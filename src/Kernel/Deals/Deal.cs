using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Deals;

/// <summary>Whether a deal is still being worked, or closed as won or lost.</summary>
public enum DealStatus
{
    /// <summary>In an open stage.</summary>
    Open = 0,
    /// <summary>In a won stage.</summary>
    Won = 1,
    /// <summary>In a lost stage.</summary>
    Lost = 2,
}

/// <summary>One stay of a deal in a stage: when it entered and left, who moved it there, and why.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="EnteredAt">When the deal entered it.</param>
/// <param name="LeftAt">When it left; null while it is still there.</param>
/// <param name="By">Who moved it there; null when the kernel did it with no user.</param>
/// <param name="Cause">Why: a manual move, a goal, a rule, a process.</param>
public sealed record StageVisit(StageId Stage, Instant EnteredAt, Instant? LeftAt, UserId? By, Cause Cause);

/// <summary>
/// A deal: a possible sale to a client, moving along the stages of one pipeline. Immutable: every change is a
/// command on <see cref="Crm.Kernel.Security.CrmSession.Deals"/> that returns the new state.
/// </summary>
public sealed record Deal
{
    /// <summary>The deal's id.</summary>
    public required DealId Id { get; init; }
    /// <summary>The client the deal is with.</summary>
    public required ClientId Client { get; init; }
    /// <summary>The pipeline it moves along.</summary>
    public required PipelineId Pipeline { get; init; }
    /// <summary>The stage it is in now (always exactly one).</summary>
    public required StageId Stage { get; init; }
    /// <summary>The seller responsible for it.</summary>
    public required UserId Owner { get; init; }
    /// <summary>The expected amount.</summary>
    public required Money Amount { get; init; }
    /// <summary>A short title, when given.</summary>
    public string? Title { get; init; }
    /// <summary>Where the deal came from (website, call, referral…).</summary>
    public string? Source { get; init; }
    /// <summary>The deal's own win probability in [0, 1]; null means the stage's default applies.</summary>
    public decimal? WinProbability { get; init; }
    /// <summary>When the deal is expected to close.</summary>
    public LocalDate? ExpectedClose { get; init; }
    /// <summary>Custom fields.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    /// <summary>Operational classifiers.</summary>
    public IReadOnlyDictionary<string, string> Classifiers { get; init; } = new Dictionary<string, string>();
    /// <summary>Goals achieved so far, in order.</summary>
    public IReadOnlyList<GoalId> AchievedGoals { get; init; } = [];
    /// <summary>Open, won or lost.</summary>
    public DealStatus Status { get; init; }
    /// <summary>When the deal was opened.</summary>
    public Instant OpenedAt { get; init; }
    /// <summary>When it entered a won or lost stage; null while open.</summary>
    public Instant? ClosedAt { get; init; }
    /// <summary>Every stay in a stage, oldest first; the last one is the current stage and has no <see cref="StageVisit.LeftAt"/>.</summary>
    public IReadOnlyList<StageVisit> History { get; init; } = [];
    /// <summary>
    /// The deal's product lines, in order; null when it has none. While it has lines, <see cref="Amount"/> is the sum of
    /// their net totals (see <see cref="Crm.Kernel.Deals.SessionDeals.SetLinesAsync"/>).
    /// </summary>
    public IReadOnlyList<DealLine>? Lines { get; init; }
    /// <summary>The stored version, for optimistic concurrency (pass it back as the expected version).</summary>
    [JsonIgnore]
    public long Version { get; init; }

    /// <summary>When the deal entered its current stage.</summary>
    [JsonIgnore]
    public Instant EnteredStageAt => History.Count == 0 ? OpenedAt : History[^1].EnteredAt;
}
