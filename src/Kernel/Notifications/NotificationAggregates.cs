using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Notifications;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Notifications' kinds: notifications, digests, consumer cursors, failed deliveries and the tenant registry.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Notification> Notification = new("notification", (s, v) => s with { Version = v },
            s => s.IsRead
                ? [new IndexEntry("recipient", s.Recipient.Value)]
                : [new IndexEntry("recipient", s.Recipient.Value), new IndexEntry("unread", s.Recipient.Value)]);

        public static readonly AggregateKind<Digest> Digest = new("digest", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<ConsumerCursor> Cursor = new("cursor", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<FailedDelivery> FailedDelivery = new("delivery-failure", (s, v) => s with { Version = v },
            s => s.Delivered ? [] : [new IndexEntry("state", "failed")]);

        public static readonly AggregateKind<TenantEntry> Tenant = new("tenant", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Notifications
{
    /// <summary>The streams of notifications, digests, consumer cursors, failed deliveries and tenants, and how their events change them.</summary>
    internal sealed class NotificationAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Notification)
                .On<NotificationRequested>(
                    e => (e.Id ?? throw new ArgumentException("A notification needs an id.", nameof(e))).Value,
                    (s, e, in ctx) => new Notification { Id = e.Id!.Value, Recipient = e.Recipient, Subject = e.Subject, Body = e.Body, Deal = e.Deal, At = ctx.OccurredAt })
                .OnExisting<NotificationRead>(e => e.Notification.Value, (s, e, in ctx) => s with { IsRead = true });

            registry.Stream(Kinds.Digest)
                .On<DigestItemAdded>(e => e.Digest, (s, e, in ctx) => s is { } d0
                    ? d0 with { Items = [.. d0.Items, e.Text] }
                    : new Digest { Id = e.Digest, Recipient = e.Recipient, Day = e.Day, Subject = e.Subject, Items = [e.Text] })
                .OnExisting<DigestSent>(e => e.Digest, (s, e, in ctx) => s with { Sent = true });

            registry.Stream(Kinds.Cursor)
                .On<ConsumerAdvanced>(e => e.Consumer, (s, e, in ctx) => new ConsumerCursor { Id = e.Consumer, Position = e.Position });

            registry.Stream(Kinds.FailedDelivery)
                .On<NotificationDeliveryFailed>(e => e.Delivery, (s, e, in ctx) => new FailedDelivery
                {
                    Id = e.Delivery, Notification = e.Notification, Channel = e.Channel, Recipient = e.Recipient, Subject = e.Subject, Body = e.Body,
                    Deal = e.Deal, Attempts = e.Attempts, LastError = e.Error, NextAttemptAt = e.NextAttemptAt,
                })
                .OnExisting<NotificationDeliveryRetried>(e => e.Delivery, (s, e, in ctx) => s with
                {
                    Delivered = e.Delivered, Attempts = e.Attempts, LastError = e.Error ?? "", NextAttemptAt = e.NextAttemptAt,
                });

            registry.Stream(Kinds.Tenant)
                .On<TenantRegistered>(e => e.Tenant.Value, (s, e, in ctx) => new TenantEntry { Id = e.Tenant, RegisteredAt = ctx.OccurredAt });
        }
    }
}
