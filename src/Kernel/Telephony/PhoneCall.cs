using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Ports;
using NodaTime;

namespace Crm.Kernel.Telephony;

/// <summary>A phone call as the kernel tracks it.</summary>
public sealed record PhoneCall
{
    /// <summary>The telephony system's call id.</summary>
    public required string Id { get; init; }
    /// <summary>Inbound or outbound.</summary>
    public CallDirection Direction { get; init; }
    /// <summary>The client's number in E.164 form.</summary>
    public required string Number { get; init; }
    /// <summary>The client, once known or created.</summary>
    public ClientId? Client { get; init; }
    /// <summary>The user whose extension rang or who dialled.</summary>
    public UserId? User { get; init; }
    /// <summary>Who answered.</summary>
    public UserId? AnsweredBy { get; init; }
    /// <summary>When it started.</summary>
    public Instant StartedAt { get; init; }
    /// <summary>When it was answered.</summary>
    public Instant? AnsweredAt { get; init; }
    /// <summary>True once ended.</summary>
    public bool Ended { get; init; }
    /// <summary>True when it ended unanswered.</summary>
    public bool Missed { get; init; }
    /// <summary>The recording, when there is one.</summary>
    public string? Recording { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>The client card shown to a user when a recognized client calls.</summary>
/// <param name="Client">The client.</param>
/// <param name="OpenDeals">The client's open deals.</param>
/// <param name="LastActivities">The latest interactions, newest first (at most 10).</param>
public sealed record ClientCard(Crm.Kernel.Clients.Client Client, IReadOnlyList<Crm.Kernel.Deals.Deal> OpenDeals, IReadOnlyList<Crm.Kernel.Activities.Activity> LastActivities);

/// <summary>What the kernel did with a call event.</summary>
/// <param name="Call">The call after the event.</param>
/// <param name="Recognized">True when the number matched a client card.</param>
/// <param name="CreatedDeal">The deal created for an unknown caller, when one was.</param>
/// <param name="CallbackTask">The call-back task created for a missed call, when one was.</param>
public sealed record CallHandling(PhoneCall Call, bool Recognized, DealId? CreatedDeal, WorkTaskId? CallbackTask);
