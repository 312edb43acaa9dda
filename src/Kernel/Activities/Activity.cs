using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Activities;

/// <summary>A logged call, e-mail, meeting or note, linked to a client and optionally a deal.</summary>
public sealed record Activity
{
    /// <summary>The activity's id.</summary>
    public required ActivityId Id { get; init; }
    /// <summary>Call, e-mail, meeting or note.</summary>
    public required ActivityKind Kind { get; init; }
    /// <summary>The client.</summary>
    public required ClientId Client { get; init; }
    /// <summary>The deal, when any.</summary>
    public DealId? Deal { get; init; }
    /// <summary>Who did it.</summary>
    public required UserId By { get; init; }
    /// <summary>A short subject.</summary>
    public required string Subject { get; init; }
    /// <summary>Details.</summary>
    public string? Body { get; init; }
    /// <summary>When it happened.</summary>
    public Instant At { get; init; }
    /// <summary>How long it took (calls, meetings).</summary>
    public Duration? Duration { get; init; }
    /// <summary>Where a call recording is.</summary>
    public string? RecordingReference { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
