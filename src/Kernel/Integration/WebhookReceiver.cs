using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NodaTime;

namespace Crm.Kernel.Integration;

/// <summary>
/// The receiving side of the kernel's webhooks, for the site that gets them: checks a delivery's HMAC-SHA256 signature
/// (<c>X-Crm-Signature</c> over <c>X-Crm-Timestamp + "." + body</c>), refuses a timestamp outside the tolerance (a
/// captured request replayed later), and recognises an event id it has already accepted (<c>X-Crm-Event-Id</c>):
/// deliveries are at least once, so the same event can arrive again after a timeout or a replay of dead letters, signed
/// anew. Answer 2xx to <see cref="WebhookVerdict.Accepted"/> once the event is processed and to
/// <see cref="WebhookVerdict.Duplicate"/> (the kernel then moves on); answer 401 or 400 to the other verdicts. When processing
/// an accepted event fails, call <see cref="Forget"/> and answer 500 so the kernel's retry is accepted. Answer 410 only
/// to pause the subscription (the kernel keeps every event from that one on and tries again on each run).
/// The remembered event ids live in memory (the most recent ones, up to the capacity given to the constructor); a receiver that must not process an event twice across its own restarts also keeps the ids it processed in
/// its database. Thread-safe.
/// </summary>
public sealed class WebhookReceiver
{
    private readonly byte[] _secret;
    private readonly IClock _clock;
    private readonly Duration _tolerance;
    private readonly int _capacity;
    private readonly HashSet<Guid> _seen = [];
    private readonly Queue<Guid> _order = new();
    private readonly Lock _gate = new();

    /// <summary>A receiver for one subscription's secret.</summary>
    /// <param name="secret">The secret given to <see cref="SessionWebhooks.RegisterAsync"/>.</param>
    /// <param name="clock">The receiver's clock, to check the timestamp.</param>
    /// <param name="tolerance">How far the timestamp may be from the receiver's clock, either way; default 5 minutes.</param>
    /// <param name="capacity">How many accepted event ids are remembered (the oldest are forgotten first); default 100 000.</param>
    /// <exception cref="ArgumentException">An empty secret, a negative tolerance or a capacity below 1.</exception>
    /// <exception cref="ArgumentNullException">No secret or no clock.</exception>
    public WebhookReceiver(string secret, IClock clock, Duration? tolerance = null, int capacity = 100_000)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(clock);
        _tolerance = tolerance ?? Duration.FromMinutes(5);
        if (_tolerance < Duration.Zero)
        {
            throw new ArgumentException("The timestamp tolerance must not be negative.", nameof(tolerance));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _secret = Encoding.UTF8.GetBytes(secret);
        _clock = clock;
        _capacity = capacity;
    }

    /// <summary>
    /// Verifies one delivery from its three headers and its raw body, and remembers its event id when it is accepted.
    /// </summary>
    /// <param name="timestamp">The <c>X-Crm-Timestamp</c> header (Unix seconds).</param>
    /// <param name="signature">The <c>X-Crm-Signature</c> header (<c>sha256=&lt;hex&gt;</c>).</param>
    /// <param name="eventId">The <c>X-Crm-Event-Id</c> header (32 hex digits).</param>
    /// <param name="body">The request body exactly as received (UTF-8 text).</param>
    /// <returns>What to do with it; only <see cref="WebhookVerdict.Accepted"/> is new and to be processed.</returns>
    public WebhookVerdict Verify(string? timestamp, string? signature, string? eventId, string? body)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature) || body is null
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || !Guid.TryParseExact(eventId, "N", out var id))
        {
            return WebhookVerdict.Malformed;
        }

        var expected = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(timestamp + "." + body));
        if (!signature.StartsWith("sha256=", StringComparison.Ordinal) || signature.Length != 7 + 64
            || !CryptographicOperations.FixedTimeEquals(expected, FromHex(signature.AsSpan(7))))
        {
            return WebhookVerdict.BadSignature;
        }

        var sent = seconds <= Instant.MaxValue.ToUnixTimeSeconds() ? Instant.FromUnixTimeSeconds(seconds) : Instant.MaxValue;
        var skew = _clock.GetCurrentInstant() - sent;
        if (skew > _tolerance || -skew > _tolerance)
        {
            return WebhookVerdict.Stale;
        }

        lock (_gate)
        {
            if (!_seen.Add(id))
            {
                return WebhookVerdict.Duplicate;
            }

            _order.Enqueue(id);
            while (_order.Count > _capacity)
            {
                _seen.Remove(_order.Dequeue());
            }
        }

        return WebhookVerdict.Accepted;
    }

    /// <summary>Forgets an accepted event id whose processing failed, so the kernel's retry of it is accepted.</summary>
    /// <param name="eventId">The <c>X-Crm-Event-Id</c> of the event.</param>
    /// <returns>True when the id was remembered.</returns>
    public bool Forget(Guid eventId)
    {
        lock (_gate)
        {
            // The id stays in the eviction queue; evicting an id no longer in the set is harmless.
            return _seen.Remove(eventId);
        }
    }

    private static byte[] FromHex(ReadOnlySpan<char> hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}

/// <summary>The outcome of <see cref="WebhookReceiver.Verify"/>.</summary>
public enum WebhookVerdict
{
    /// <summary>Signed with the secret, on time and new: process it, then answer 2xx.</summary>
    Accepted,

    /// <summary>Signed and on time, but this event id was accepted before (a redelivery): answer 2xx, do nothing.</summary>
    Duplicate,

    /// <summary>The signature does not match the secret and body: answer 401.</summary>
    BadSignature,

    /// <summary>Signed, but the timestamp is outside the tolerance (a replayed capture or a skewed clock): answer 401.</summary>
    Stale,

    /// <summary>A header is missing or malformed: answer 400.</summary>
    Malformed,
}
