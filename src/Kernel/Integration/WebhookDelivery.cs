using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Journal;
using Crm.Kernel.Notifications;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Crm.Kernel.Integration;

/// <summary>
/// Delivers chosen journal events to subscribed URLs, from the journal: at least once, in journal order (so in order per
/// deal), each POST signed with HMAC-SHA256 over <c>timestamp + "." + body</c> (headers <c>X-Crm-Timestamp</c>,
/// <c>X-Crm-Signature: sha256=&lt;hex&gt;</c>, <c>X-Crm-Event-Id</c>). Failures are retried with the kernel's one
/// retry model (<see cref="WebhookOptions.Retry"/>: exponential backoff, Polly, on the kernel's clock); an event that fails every retry goes to the subscription's dead-letter list and the later events of the same
/// deal wait behind it, so replaying the dead letters keeps the deal's order. With several hosts, a subscription is
/// delivered by one host at a time: the host claims it with a lease (<see cref="Hosting.CrmKernelOptions.ConsumerLease"/>),
/// the others skip it until the lease is released or expires.
/// An endpoint answering 410 Gone pauses its subscription: that event is not retried in this run and is neither delivered
/// nor dead-lettered, nothing after it is sent, and the subscription's cursor stays just before it, so every event from
/// that one on is kept and delivered, in order, by the first run after the endpoint accepts again (each run tries the
/// paused event once). To stop deliveries for good, unsubscribe. Receivers verify deliveries with
/// <see cref="WebhookReceiver"/>.
/// </summary>
public sealed class WebhookDelivery : IDisposable
{
    private readonly KernelContext _context;
    private readonly ConsumerLeases _leases;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline;

    internal WebhookDelivery(KernelContext context, ConsumerLeases leases, WebhookOptions options, TimeProvider time, HttpMessageHandler? handler = null)
    {
        _context = context;
        _leases = leases;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = Timeout.InfiniteTimeSpan };
        // The kernel's one retry model (the backoff notification delivery journals), run in-process by Polly on the
        // kernel's clock. 410 Gone is the receiver pausing the subscription, not a transient failure: not retried.
        _pipeline = new RetrySchedule(options.Retry).Pipeline(time, options.AttemptTimeout,
            new PredicateBuilder().Handle<HttpRequestException>(e => e.StatusCode != HttpStatusCode.Gone));
    }

    /// <summary>Signs a body as receivers verify it: hex HMAC-SHA256 of <c>timestamp + "." + body</c> with the secret.</summary>
    public static string Sign(string secret, string timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return "sha256=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>Delivers every subscription's pending events of a tenant.</summary>
    public async Task<WebhookRun> DeliverAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var run = new WebhookRun();
        var ids = new List<string>();
        await foreach (var document in _context.Store.QueryAsync(tenant, Kinds.Webhook.Name, null, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(document.Id);
        }

        foreach (var id in ids)
        {
            var one = await DeliverSubscriptionAsync(tenant, new WebhookSubscriptionId(id), cancellationToken).ConfigureAwait(false);
            run = new WebhookRun(run.Delivered + one.Delivered, run.DeadLettered + one.DeadLettered);
        }

        return run;
    }

    /// <summary>Replays a subscription's dead letters in journal order; stops at the first that fails again.</summary>
    /// <returns>How many were delivered.</returns>
    public async Task<int> ReplayAsync(TenantId tenant, WebhookSubscriptionId subscription, CancellationToken cancellationToken = default)
    {
        var delivered = 0;
        var unit = _context.Begin(tenant, null);
        var sub = await unit.GetAsync(Kinds.Webhook, subscription.Value, cancellationToken).ConfigureAwait(false);
        foreach (var letter in sub.DeadLetters.OrderBy(l => l.Position))
        {
            if (await PostAsync(sub, letter.EventId, letter.Body, cancellationToken).ConfigureAwait(false) is not null)
            {
                break;
            }

            await unit.RecordAsync(new WebhookReplayed(subscription, letter.EventId), Cause.System("webhook replay"), cancellationToken).ConfigureAwait(false);
            delivered++;
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return delivered;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<WebhookRun> DeliverSubscriptionAsync(TenantId tenant, WebhookSubscriptionId subscription, CancellationToken cancellationToken)
    {
        var cursorId = "webhook:" + subscription;
        var delivered = 0;
        var deadLettered = 0;
        // One host at a time delivers a subscription: the others skip it while this host's lease runs.
        await using var lease = await ConsumerLease.TryClaimAsync(_context, _leases, tenant, cursorId, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return default;
        }

        for (var pageNumber = 0; ; pageNumber++)
        {
            if (pageNumber > 0 && !await lease.RenewAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            var unit = _context.Begin(tenant, null);
            var sub = await unit.GetAsync(Kinds.Webhook, subscription.Value, cancellationToken).ConfigureAwait(false);
            if (!sub.Active)
            {
                break;
            }

            var position = (await unit.FindAsync(Kinds.Cursor, cursorId, cancellationToken).ConfigureAwait(false))?.Position ?? 0;
            var page = new List<JournalRecord>();
            await foreach (var record in _context.Store.ReadJournalAsync(tenant, position, 200, cancellationToken).ConfigureAwait(false))
            {
                page.Add(record);
            }

            if (page.TrueForAll(r => IsBookkeeping(r.Event.EventType)))
            {
                break;
            }

            var blocked = sub.DeadLetters.Select(l => l.DealKey).Where(k => k is not null).ToHashSet();
            var lost = false;
            var paused = false;
            var done = position;
            foreach (var record in page)
            {
                if (!sub.EventTypes.Contains(record.Event.EventType, StringComparer.Ordinal))
                {
                    done = record.Position;
                    continue;
                }

                if (!await lease.KeepAsync(cancellationToken).ConfigureAwait(false))
                {
                    lost = true;
                    break;
                }

                var dealKey = DealKeyOf(record);
                var body = Body(record);
                var error = dealKey is not null && blocked.Contains(dealKey)
                    ? "waiting behind an earlier dead-lettered event of the same deal"
                    : await PostAsync(sub, record.Event.EventId, body, cancellationToken).ConfigureAwait(false);
                if (error is null)
                {
                    delivered++;
                    done = record.Position;
                    continue;
                }

                if (ReferenceEquals(error, Gone))
                {
                    // Paused by the receiver: keep this event and all after it behind the cursor.
                    paused = true;
                    break;
                }

                done = record.Position;
                deadLettered++;
                blocked.Add(dealKey);
                await unit.RecordAsync(new WebhookDeadLettered(subscription, record.Event.EventId, record.Position, dealKey, body, error), Cause.System("webhook delivery"), cancellationToken).ConfigureAwait(false);
            }

            if (lost)
            {
                // The lease ran out under a slow page and another host owns the subscription now: it redelivers the
                // page from the committed cursor (at least once), this host stops.
                break;
            }

            if (paused)
            {
                if (done > position)
                {
                    await unit.RecordAsync(new ConsumerAdvanced(cursorId, done), Cause.System("webhook delivery"), cancellationToken).ConfigureAwait(false);
                }

                await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
                break;
            }

            await unit.RecordAsync(new ConsumerAdvanced(cursorId, page[^1].Position), Cause.System("webhook delivery"), cancellationToken).ConfigureAwait(false);
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return new WebhookRun(delivered, deadLettered);
    }

    private async Task<string?> PostAsync(WebhookSubscription subscription, Guid eventId, string body, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                var timestamp = _context.Clock.GetCurrentInstant().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
                {
                    Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                };
                request.Headers.Add("X-Crm-Timestamp", timestamp);
                request.Headers.Add("X-Crm-Signature", Sign(subscription.Secret, timestamp, body));
                request.Headers.Add("X-Crm-Event-Id", eventId.ToString("N"));
                using var response = await _http.SendAsync(request, token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"the endpoint answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
                }
            }, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (TimeoutRejectedException e)
        {
            return "timed out: " + e.Message;
        }
        catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.Gone)
        {
            return Gone;
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    /// <summary>The error of an attempt the receiver answered 410 Gone (compared by reference).</summary>
    private static readonly string Gone = new("the endpoint answered 410 Gone: the subscription is paused".ToCharArray());

    private static bool IsBookkeeping(string eventType) =>
        eventType is nameof(ConsumerAdvanced) or nameof(WebhookDeadLettered) or nameof(WebhookReplayed) or nameof(NotificationDeliveryFailed) or nameof(NotificationDeliveryRetried);

    private static string? DealKeyOf(JournalRecord record) => record.Event.StreamKind == "deal" ? record.Event.StreamId : null;

    private static string Body(JournalRecord record)
    {
        var e = record.Event;
        using var payload = JsonDocument.Parse(e.Payload);
        return JsonSerializer.Serialize(new
        {
            id = e.EventId.ToString("N"),
            type = e.EventType,
            position = record.Position,
            tenant = record.Tenant.Value,
            stream = new { kind = e.StreamKind, id = e.StreamId },
            occurredAt = e.OccurredAt.ToString(),
            actor = e.Actor,
            cause = new { kind = e.Cause.Kind.ToString(), reference = e.Cause.Reference, description = e.Cause.Description },
            data = payload.RootElement,
        });
    }
}

/// <summary>Webhook subscriptions of a tenant (administrators).</summary>
public sealed class SessionWebhooks
{
    private readonly CrmSession _session;

    internal SessionWebhooks(CrmSession session) => _session = session;

    /// <summary>Registers an endpoint (a webhook subscription) for event types; deliveries start with events committed after this.</summary>
    /// <exception cref="CrmValidationException">Not an absolute http(s) URL, a secret shorter than 16 characters (or longer than 512, or not
    /// one line of valid UTF-16 text), or no event types.</exception>
    public async Task<WebhookSubscription> RegisterAsync(Uri url, string secret, IReadOnlyList<string> eventTypes, CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        if (url is null || !url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            errors.Add(new("url", "an absolute http or https URL is required."));
        }

        if (string.IsNullOrEmpty(secret) || secret.Length < 16)
        {
            errors.Add(new("secret", "a secret of at least 16 characters is required to sign deliveries."));
        }

        Validation.InputRules.Text(errors, "secret", secret, Validation.TextLimits.Secret, singleLine: true);
        for (var i = 0; i < (eventTypes?.Count ?? 0); i++)
        {
            Validation.InputRules.Text(errors, $"eventTypes[{i}]", eventTypes![i], Validation.TextLimits.Key, singleLine: true);
        }

        if (eventTypes is null || eventTypes.Count == 0 || eventTypes.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add(new("eventTypes", "list the event types to deliver, e.g. DealStageChanged."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("subscribe webhooks");
        var id = Guid.NewGuid().ToString("N");
        // Start after what is already journaled: a new subscriber gets new events, not the whole history.
        long head = 0;
        await foreach (var record in unit.Context.Store.ReadJournalAsync(unit.Tenant, 0, int.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            head = record.Position;
        }

        await unit.RecordAsync(new WebhookSubscribed(new WebhookSubscriptionId(id), url!, secret, eventTypes!.ToArray()), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new ConsumerAdvanced("webhook:" + id, head + 1), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Webhook, id);
    }

    /// <summary>Deactivates a subscription: nothing more is delivered to it.</summary>
    public async Task DeactivateAsync(WebhookSubscriptionId subscription, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("remove webhooks");
        await unit.GetAsync(Kinds.Webhook, subscription.Value, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new WebhookUnsubscribed(subscription), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The subscriptions with their dead letters.</summary>
    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("list webhooks");
        var result = new List<WebhookSubscription>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Webhook.Name, null, cancellationToken).ConfigureAwait(false))
        {
            result.Add((WebhookSubscription)Kinds.Webhook.Read(document));
        }

        return result;
    }
}
