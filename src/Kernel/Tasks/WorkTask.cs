using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Tasks;

/// <summary>The state of a work task.</summary>
public enum WorkTaskStatus
{
    /// <summary>To do.</summary>
    Open = 0,
    /// <summary>Done.</summary>
    Done = 1,
    /// <summary>Cancelled.</summary>
    Cancelled = 2,
}

/// <summary>A work task for a user, due at an instant, optionally about a deal or a client.</summary>
public sealed record WorkTask
{
    /// <summary>The task's id.</summary>
    public required WorkTaskId Id { get; init; }
    /// <summary>What to do.</summary>
    public required string Title { get; init; }
    /// <summary>Who does it.</summary>
    public required UserId Assignee { get; init; }
    /// <summary>When it is due.</summary>
    public Instant Due { get; init; }
    /// <summary>The deal it is about.</summary>
    public DealId? Deal { get; init; }
    /// <summary>The client it is about.</summary>
    public ClientId? Client { get; init; }
    /// <summary>Open, done or cancelled.</summary>
    public WorkTaskStatus Status { get; init; }
    /// <summary>When it was created.</summary>
    public Instant CreatedAt { get; init; }
    /// <summary>When it was done or cancelled.</summary>
    public Instant? ClosedAt { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
