using Crm.Abstractions.Events;
using Crm.Kernel.Integration;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Integration's kinds: orders received and webhook subscriptions.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Order> Order = new("order", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<WebhookSubscription> Webhook = new("webhook", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Integration
{
    /// <summary>The streams of orders and webhook subscriptions and how their events change them.</summary>
    internal sealed class IntegrationAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Order)
                .On<OrderReceived>(e => e.Order, (s, e, in ctx) => new Order { Id = e.Order, Deal = e.Deal, Client = e.Client, Invoice = e.Invoice, ReceivedAt = ctx.OccurredAt });

            registry.Stream(Kinds.Webhook)
                .On<WebhookSubscribed>(e => e.Subscription.Value, (s, e, in ctx) => new WebhookSubscription { Id = e.Subscription, Url = e.Url, Secret = e.Secret, EventTypes = e.EventTypes })
                .OnExisting<WebhookUnsubscribed>(e => e.Subscription.Value, (s, e, in ctx) => s with { Active = false })
                .OnExisting<WebhookDeadLettered>(e => e.Subscription.Value, (s, e, in ctx) =>
                    s with { DeadLetters = [.. s.DeadLetters, new WebhookDeadLetter(e.EventId, e.Position, e.DealKey, e.Body, e.Error)] })
                .OnExisting<WebhookReplayed>(e => e.Subscription.Value, (s, e, in ctx) =>
                    s with { DeadLetters = s.DeadLetters.Where(l => l.EventId != e.EventId).ToArray() });
        }
    }
}
