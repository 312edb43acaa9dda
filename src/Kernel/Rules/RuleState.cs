using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Rules;

/// <summary>How a rule instance ended.</summary>
public enum RuleOutcome
{
    /// <summary>Still running.</summary>
    Pending = 0,
    /// <summary>The rule's goal was met in time.</summary>
    Met = 1,
    /// <summary>The deadline passed without the goal met.</summary>
    Violated = 2,
    /// <summary>The rule stopped for the deal by an approved exception, or no longer applies (the deal left the stage).</summary>
    Exempted = 3,
}

/// <summary>Where an exception request stands.</summary>
public enum ExceptionStatus
{
    /// <summary>None was asked for.</summary>
    None = 0,
    /// <summary>Waiting for the approver.</summary>
    Pending = 1,
    /// <summary>Approved.</summary>
    Approved = 2,
    /// <summary>Rejected: the rule goes on.</summary>
    Rejected = 3,
}

/// <summary>One run of a business rule for one deal, with its single recorded outcome.</summary>
public sealed record RuleInstance
{
    /// <summary>The instance id.</summary>
    public required string Id { get; init; }
    /// <summary>The rule.</summary>
    public required RuleId Rule { get; init; }
    /// <summary>The rule version it keeps.</summary>
    public int RuleVersion { get; init; }
    /// <summary>The deal.</summary>
    public required DealId Deal { get; init; }
    /// <summary>The deal's stage when the rule triggered.</summary>
    public required StageId Stage { get; init; }
    /// <summary>When it triggered.</summary>
    public Instant StartedAt { get; init; }
    /// <summary>When the rule's goal must be met.</summary>
    public Instant? Deadline { get; init; }
    /// <summary>Scheduled actions not yet done.</summary>
    public int PendingActions { get; init; }
    /// <summary>The outcome (pending while it runs).</summary>
    public RuleOutcome Outcome { get; init; }
    /// <summary>Why it ended so.</summary>
    public string? OutcomeDetail { get; init; }
    /// <summary>When it ended.</summary>
    public Instant? EndedAt { get; init; }
    /// <summary>The exception flag asked for (e.g. <c>Complex</c>).</summary>
    public string? ExceptionFlag { get; init; }
    /// <summary>The reason given.</summary>
    public string? ExceptionReason { get; init; }
    /// <summary>Who decides.</summary>
    public UserId? ExceptionApprover { get; init; }
    /// <summary>Where the request stands.</summary>
    public ExceptionStatus ExceptionStatus { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A tenant's rules as stored: the JSON of each rule's latest version and whether it is enabled.</summary>
internal sealed record RuleBook
{
    /// <summary>The rules by id.</summary>
    public IReadOnlyDictionary<string, StoredRule> Rules { get; init; } = new Dictionary<string, StoredRule>();
    /// <summary>Every version's JSON by <c>id@version</c>, so running instances keep the version they started with.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } = new Dictionary<string, string>();
    /// <summary>The stored version (changes with every rule change).</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>One stored rule.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Json">Its definition as JSON.</param>
/// <param name="Enabled">Whether it runs.</param>
internal sealed record StoredRule(int Version, string Json, bool Enabled);
