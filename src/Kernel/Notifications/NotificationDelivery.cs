using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Ports;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Journal;
using Crm.Kernel.Storage;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Crm.Kernel.Notifications;

/// <summary>A delivery that failed: which notification, through which channel, how often, and the last error.</summary>
public sealed record FailedDelivery
{
    /// <summary><c>eventId:channel</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The notification's id.</summary>
    public required NotificationId Notification { get; init; }
    /// <summary>The channel, e.g. <c>mail</c>.</summary>
    public required string Channel { get; init; }
    /// <summary>Who it was for.</summary>
    public required UserId Recipient { get; init; }
    /// <summary>The subject.</summary>
    public required string Subject { get; init; }
    /// <summary>The body.</summary>
    public required string Body { get; init; }
    /// <summary>The deal.</summary>
    public DealId? Deal { get; init; }
    /// <summary>How many attempts failed.</summary>
    public int Attempts { get; init; }
    /// <summary>The last error.</summary>
    public string LastError { get; init; } = "";
    /// <summary>When the next retry is due; null once retries are exhausted.</summary>
    public Instant? NextAttemptAt { get; init; }
    /// <summary>True once a retry succeeded.</summary>
    public bool Delivered { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>What one delivery run did.</summary>
/// <param name="Delivered">Deliveries that succeeded.</param>
/// <param name="Failed">Deliveries that failed (recorded for retry).</param>
public readonly record struct DeliveryRun(int Delivered, int Failed);

/// <summary>
/// Delivers committed notifications after commit: follows each tenant's journal from a durable cursor and hands every
/// <see cref="NotificationRequested"/> to the mail port (to the user's e-mail) and to every registered
/// <see cref="INotificationChannel"/>. A failed delivery is journaled with the instant of its next attempt, from the kernel's one retry model
/// (<see cref="CrmKernelOptions.NotificationRetry"/>, on the kernel's clock) and stays listed in <see cref="FailedAsync"/>: nothing is lost silently.
/// With several hosts, one host at a time delivers a tenant's notifications: it claims the consumer with a lease
/// (<see cref="CrmKernelOptions.ConsumerLease"/>); the others skip it until the lease is released or expires.
/// </summary>
public sealed class NotificationDelivery
{
    private const string CursorId = "notifications";
    private readonly KernelContext _context;
    private readonly ConsumerLeases _leases;
    private readonly RetrySchedule _retry;
    private readonly IMailSender? _mail;
    private readonly IReadOnlyList<INotificationChannel> _channels;
    private readonly ILogger _logger;

    internal NotificationDelivery(KernelContext context, ConsumerLeases leases, RetrySchedule retry, IMailSender? mail, IEnumerable<INotificationChannel> channels, ILogger logger)
    {
        _context = context;
        _leases = leases;
        _retry = retry;
        _mail = mail;
        _channels = channels.ToArray();
        _logger = logger;
    }

    /// <summary>Delivers what the tenant's journal holds past the cursor, then retries failed deliveries that are due.</summary>
    public async Task<DeliveryRun> DeliverAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var delivered = 0;
        var failed = 0;
        // One host at a time delivers a tenant's notifications (and retries its failures): the others skip them while
        // this host's lease runs.
        await using var lease = await ConsumerLease.TryClaimAsync(_context, _leases, tenant, CursorId, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return default;
        }

        for (var pageNumber = 0; ; pageNumber++)
        {
            if (pageNumber > 0 && !await lease.RenewAsync(cancellationToken).ConfigureAwait(false))
            {
                return new DeliveryRun(delivered, failed);
            }

            var unit = _context.Begin(tenant, null);
            var cursor = await unit.FindAsync(Kinds.Cursor, CursorId, cancellationToken).ConfigureAwait(false);
            var position = cursor?.Position ?? 0;
            var page = new List<JournalRecord>();
            await foreach (var record in _context.Store.ReadJournalAsync(tenant, position, 500, cancellationToken).ConfigureAwait(false))
            {
                page.Add(record);
            }

            // Stop at the end, and also when only the consumers' own bookkeeping is left (advancing past it would add more).
            if (page.TrueForAll(r => r.Event.EventType is nameof(ConsumerAdvanced) or nameof(NotificationDeliveryFailed) or nameof(NotificationDeliveryRetried)))
            {
                break;
            }

            foreach (var record in page)
            {
                if (record.Event.EventType != nameof(NotificationRequested))
                {
                    continue;
                }

                if (!await lease.KeepAsync(cancellationToken).ConfigureAwait(false))
                {
                    // The lease ran out under a slow page and another host owns the consumer now: it redelivers the
                    // page from the committed cursor (at least once); this host stops without committing.
                    return new DeliveryRun(delivered, failed);
                }

                var note = (NotificationRequested)_context.EventTypes.Deserialize(record.Event.EventType, record.Event.Payload);
                foreach (var channel in await ChannelsForAsync(unit, note, cancellationToken).ConfigureAwait(false))
                {
                    var error = await TryDeliverAsync(channel, tenant, note, cancellationToken).ConfigureAwait(false);
                    if (error is null)
                    {
                        delivered++;
                        continue;
                    }

                    failed++;
                    await unit.RecordAsync(new NotificationDeliveryFailed($"{record.Event.EventId:N}:{channel.Name}", note.Id!.Value, channel.Name, note.Recipient, note.Subject, note.Body, note.Deal, error, 1,
                        _retry.NextAttemptAt(unit.Now, 1)), Cause.System("notification delivery"), cancellationToken).ConfigureAwait(false);
                }
            }

            await unit.RecordAsync(new ConsumerAdvanced(CursorId, page[^1].Position), Cause.System("notification delivery"), cancellationToken).ConfigureAwait(false);
            // The cursor stays a versioned record: should a lease lapse under a page and another host advance the cursor
            // meanwhile, this commit fails and that page went out twice at most (at least once), never lost.
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var (retried, stillFailing) = await RetryDueAsync(tenant, cancellationToken).ConfigureAwait(false);
        return new DeliveryRun(delivered + retried, failed + stillFailing);
    }

    /// <summary>The tenant's failed deliveries not yet delivered, oldest first (administrators).</summary>
    public async Task<IReadOnlyList<FailedDelivery>> FailedAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var result = new List<FailedDelivery>();
        await foreach (var document in _context.Store.QueryAsync(tenant, Kinds.FailedDelivery.Name, new IndexEntry("state", "failed"), cancellationToken).ConfigureAwait(false))
        {
            result.Add((FailedDelivery)Kinds.FailedDelivery.Read(document));
        }

        return result;
    }

    private async Task<(int Delivered, int Failed)> RetryDueAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var delivered = 0;
        var failed = 0;
        foreach (var failure in await FailedAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            var unit = _context.Begin(tenant, null);
            if (failure.NextAttemptAt is not { } due || due > unit.Now)
            {
                continue;
            }

            var channel = (await ChannelsForAsync(unit, new NotificationRequested(failure.Recipient, failure.Subject, failure.Body, failure.Deal, failure.Notification), cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(c => c.Name == failure.Channel);
            var error = channel is null ? $"channel '{failure.Channel}' is no longer registered" : await TryDeliverAsync(channel, tenant,
                new NotificationRequested(failure.Recipient, failure.Subject, failure.Body, failure.Deal, failure.Notification), cancellationToken).ConfigureAwait(false);
            var attempts = failure.Attempts + 1;
            await unit.FindAsync(Kinds.FailedDelivery, failure.Id, cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                delivered++;
                await unit.RecordAsync(new NotificationDeliveryRetried(failure.Id, true, null, attempts, null), Cause.System("notification retry"), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                failed++;
                var next = _retry.NextAttemptAt(unit.Now, attempts);
                await unit.RecordAsync(new NotificationDeliveryRetried(failure.Id, false, error, attempts, next), Cause.System("notification retry"), cancellationToken).ConfigureAwait(false);
            }

            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (delivered, failed);
    }

    private async ValueTask<IReadOnlyList<INotificationChannel>> ChannelsForAsync(UnitOfWork unit, NotificationRequested note, CancellationToken cancellationToken)
    {
        if (_mail is null)
        {
            return _channels;
        }

        var user = await unit.FindAsync(Kinds.User, note.Recipient.Value, cancellationToken).ConfigureAwait(false);
        return user?.Email is { } email ? [new MailChannel(_mail, email), .. _channels] : _channels;
    }

    private async Task<string?> TryDeliverAsync(INotificationChannel channel, TenantId tenant, NotificationRequested note, CancellationToken cancellationToken)
    {
        try
        {
            await channel.DeliverAsync(new Crm.Abstractions.Ports.Notification(tenant, note.Recipient, note.Subject, note.Body, note.Deal), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Delivering notification {Id} through {Channel} failed; it will be retried.", note.Id, channel.Name);
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Mail through the mail port, to the user's e-mail address.</summary>
    private sealed class MailChannel(IMailSender mail, string address) : INotificationChannel
    {
        public string Name => "mail";

        public Task DeliverAsync(Crm.Abstractions.Ports.Notification notification, CancellationToken cancellationToken = default) =>
            mail.SendAsync(new MailMessage(address, notification.Subject, notification.Body), cancellationToken);
    }
}

/// <summary>A tenant in the kernel's registry of tenants.</summary>
internal sealed record TenantEntry
{
    /// <summary>The tenant.</summary>
    public required TenantId Id { get; init; }
    /// <summary>When it was set up.</summary>
    public Instant RegisteredAt { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A journal consumer's durable position.</summary>
internal sealed record ConsumerCursor
{
    /// <summary>The consumer's id.</summary>
    public required string Id { get; init; }
    /// <summary>The last journal position it handled.</summary>
    public long Position { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
