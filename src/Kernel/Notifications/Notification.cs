using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Notifications;

/// <summary>A notification in a user's in-app inbox.</summary>
public sealed record Notification
{
    /// <summary>The notification's id.</summary>
    public required NotificationId Id { get; init; }
    /// <summary>Who it is for.</summary>
    public required UserId Recipient { get; init; }
    /// <summary>The subject.</summary>
    public required string Subject { get; init; }
    /// <summary>The body.</summary>
    public required string Body { get; init; }
    /// <summary>The deal it is about.</summary>
    public DealId? Deal { get; init; }
    /// <summary>When it was sent.</summary>
    public Instant At { get; init; }
    /// <summary>True once the recipient read it.</summary>
    public bool IsRead { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A recipient's digest of one day: items collected and sent as one notification.</summary>
internal sealed record Digest
{
    /// <summary>The digest id (<c>recipient:day</c>).</summary>
    public required string Id { get; init; }
    /// <summary>Who gets it.</summary>
    public required UserId Recipient { get; init; }
    /// <summary>The day it collects.</summary>
    public LocalDate Day { get; init; }
    /// <summary>The items, in the order they came.</summary>
    public IReadOnlyList<string> Items { get; init; } = [];
    /// <summary>The subject of the digest notification.</summary>
    public string Subject { get; init; } = "";
    /// <summary>True once sent.</summary>
    public bool Sent { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
