using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Integration;

/// <summary>A webhook subscription with its dead letters.</summary>
public sealed record WebhookSubscription
{
    /// <summary>The subscription id.</summary>
    public required WebhookSubscriptionId Id { get; init; }
    /// <summary>Where events are POSTed.</summary>
    public required Uri Url { get; init; }
    /// <summary>The HMAC-SHA256 key.</summary>
    [JsonInclude]
    internal string Secret { get; init; } = "";
    /// <summary>The event types delivered.</summary>
    public IReadOnlyList<string> EventTypes { get; init; } = [];
    /// <summary>False once unsubscribed.</summary>
    public bool Active { get; init; } = true;
    /// <summary>Deliveries that failed every retry, oldest first.</summary>
    public IReadOnlyList<WebhookDeadLetter> DeadLetters { get; init; } = [];
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A delivery that failed every retry.</summary>
/// <param name="EventId">The journal event.</param>
/// <param name="Position">Its journal position.</param>
/// <param name="DealKey">The deal it is about (later events of that deal wait behind it).</param>
/// <param name="Body">The JSON body that was POSTed.</param>
/// <param name="Error">The last error.</param>
public sealed record WebhookDeadLetter(Guid EventId, long Position, string? DealKey, string Body, string Error);

/// <summary>What one webhook delivery run did.</summary>
/// <param name="Delivered">Events delivered.</param>
/// <param name="DeadLettered">Events that failed every retry (or wait behind one of their deal).</param>
public readonly record struct WebhookRun(int Delivered, int DeadLettered);

/// <summary>Retry and timeout settings of webhook delivery.</summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// How a failed POST is retried before its event is dead-lettered (<see cref="Hosting.RetryOptions"/>, the same shape
    /// notification delivery uses): retried in the delivery run, with the kernel's backoff, without jitter.
    /// </summary>
    /// <value>Default 5 attempts, the first retry after 1 second, doubling, at most 1 minute apart.</value>
    public Hosting.RetryOptions Retry { get; set; } = new() { MaxAttempts = 5, FirstDelay = Duration.FromSeconds(1), MaxDelay = Duration.FromMinutes(1) };


    /// <summary>How long one attempt may take before it counts as failed.</summary>
    /// <value>Default 10 seconds; from 10 milliseconds to 1 day.</value>
    public Duration AttemptTimeout { get; set; } = Duration.FromSeconds(10);

    internal static void Validate(WebhookOptions options, string path, List<string> failures)
    {
        if (options.Retry is null)
        {
            failures.Add($"{path}.Retry must not be null; leave it out to keep the defaults.");
        }
        else
        {
            options.Retry.Validate(path + ".Retry", 1, Duration.Zero, failures);
        }

        if (options.AttemptTimeout < Duration.FromMilliseconds(10) || options.AttemptTimeout > Duration.FromDays(1))
        {
            failures.Add($"{path}.AttemptTimeout must be from 10 ms to 1 day; got {options.AttemptTimeout}.");
        }
    }
}
