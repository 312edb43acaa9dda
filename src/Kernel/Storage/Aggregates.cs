using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Organization;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Processes;
using Crm.Kernel.Notifications;
using Crm.Kernel.Rules;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Telephony;
using Crm.Kernel.Integration;
using Crm.Kernel.Tasks;

namespace Crm.Kernel.Storage;

/// <summary>How one aggregate type is stored: its kind name, its JSON and its index entries.</summary>
internal abstract class AggregateKind
{
    protected AggregateKind(string name) => Name = name;

    public string Name { get; }

    public abstract object Read(StoredDocument document);

    public abstract string Write(object state);

    public abstract IReadOnlyList<IndexEntry> Indexes(object state);

    public abstract object WithVersion(object state, long version);
}

internal sealed class AggregateKind<T>(string name, Func<T, long, T> withVersion, Func<T, IReadOnlyList<IndexEntry>> indexes,
    Func<T, string>? write = null)
    : AggregateKind(name)
    where T : class
{
    public override object Read(StoredDocument document) => withVersion(CrmJson.Deserialize<T>(document.Json), document.Version);

    public T WithVersion(T state, long version) => withVersion(state, version);

    public override object WithVersion(object state, long version) => withVersion((T)state, version);

    /// <summary>The state's JSON: the kind's own writer when it has one (see <see cref="DealJson"/>), else the serializer's.</summary>
    public override string Write(object state) => write is null ? CrmJson.Serialize((T)state) : write((T)state);

    public override IReadOnlyList<IndexEntry> Indexes(object state) => indexes((T)state);
}

/// <summary>The aggregate kinds of the kernel.</summary>
internal static class Kinds
{
    public static readonly AggregateKind<CrmUser> User = new("user", (s, v) => s with { Version = v },
        s =>
        {
            var entries = new List<IndexEntry>(2);
            if (s.Team is { } team)
            {
                entries.Add(new IndexEntry("team", team.Value));
            }

            if (s.Extension is { } extension)
            {
                entries.Add(new IndexEntry("extension", extension));
            }

            return entries;
        });

    public static readonly AggregateKind<Team> Team = new("team", (s, v) => s with { Version = v },
        s => [new IndexEntry("head", s.Head.Value)]);

    public static readonly AggregateKind<StoredPipeline> Pipeline = new("pipeline", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Client> Client = new("client", (s, v) => s with { Version = v },
        s => [new IndexEntry("owner", s.Owner.Value)]);

    public static readonly AggregateKind<Deal> Deal = new("deal", (s, v) => s with { Version = v },
        s =>
        [
            new IndexEntry("pipeline", s.Pipeline.Value),
            new IndexEntry("owner", s.Owner.Value),
            new IndexEntry("client", s.Client.Value),
            new IndexEntry("owner-open", s.Status == DealStatus.Open ? s.Owner.Value : "-"),
        ],
        DealJson.Write);

    public static readonly AggregateKind<WorkTask> Task = new("task", (s, v) => s with { Version = v },
        s =>
        {
            var entries = new List<IndexEntry>(3) { new("assignee", s.Assignee.Value) };
            if (s.Status == WorkTaskStatus.Open)
            {
                entries.Add(new IndexEntry("assignee-open", s.Assignee.Value));
            }

            if (s.Deal is { } deal)
            {
                entries.Add(new IndexEntry("deal", deal.Value));
            }

            return entries;
        });

    public static readonly AggregateKind<Activity> Activity = new("activity", (s, v) => s with { Version = v },
        s => s.Deal is { } deal
            ? [new IndexEntry("client", s.Client.Value), new IndexEntry("deal", deal.Value)]
            : [new IndexEntry("client", s.Client.Value)]);

    public static readonly AggregateKind<ProcessInstance> Process = new("process", (s, v) => s with { Version = v },
        s =>
        {
            var entries = new List<IndexEntry>(4);
            if (s.Deal is { } deal)
            {
                entries.Add(new IndexEntry("deal", deal.Value));
            }

            if (s.Status == ProcessStatus.Running)
            {
                entries.Add(new IndexEntry("status", "running"));
                foreach (var wait in s.Waits)
                {
                    entries.Add(new IndexEntry("waiting", $"{wait.EventType}:{s.Deal?.Value}"));
                }
            }

            return entries;
        });

    public static readonly AggregateKind<Notification> Notification = new("notification", (s, v) => s with { Version = v },
        s => s.IsRead
            ? [new IndexEntry("recipient", s.Recipient.Value)]
            : [new IndexEntry("recipient", s.Recipient.Value), new IndexEntry("unread", s.Recipient.Value)]);

    public static readonly AggregateKind<Digest> Digest = new("digest", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<RuleBook> RuleBook = new("rulebook", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<RuleInstance> RuleInstance = new("rule-instance", (s, v) => s with { Version = v },
        s => s.Outcome == RuleOutcome.Pending
            ? [new IndexEntry("rule", s.Rule.Value), new IndexEntry("deal", s.Deal.Value), new IndexEntry("active-deal", s.Deal.Value)]
            : [new IndexEntry("rule", s.Rule.Value), new IndexEntry("deal", s.Deal.Value)]);

    public static readonly AggregateKind<ConsumerCursor> Cursor = new("cursor", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<FailedDelivery> FailedDelivery = new("delivery-failure", (s, v) => s with { Version = v },
        s => s.Delivered ? [] : [new IndexEntry("state", "failed")]);

    public static readonly AggregateKind<TenantEntry> Tenant = new("tenant", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Product> Product = new("product", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Invoice> Invoice = new("invoice", (s, v) => s with { Version = v },
        s => [new IndexEntry("deal", s.Deal.Value), new IndexEntry("status", s.Status.ToString())]);

    public static readonly AggregateKind<PhoneCall> Call = new("call", (s, v) => s with { Version = v },
        s => s.Client is { } client ? [new IndexEntry("client", client.Value)] : []);

    public static readonly AggregateKind<Order> Order = new("order", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<WebhookSubscription> Webhook = new("webhook", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Crm.Kernel.Import.Target> Target = new("target", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Crm.Kernel.Methodologies.InstalledMethodology> Methodology = new("methodology", (s, v) => s with { Version = v }, _ => []);

    public static readonly AggregateKind<Crm.Kernel.Security.PermissionSet> PermissionSet = new("permission-set", (s, v) => s with { Version = v }, _ => []);

    public static IReadOnlyList<AggregateKind> All { get; } = [User, Team, Pipeline, Client, Deal, Task, Activity, Process, Notification, Digest, RuleBook, RuleInstance, Cursor, FailedDelivery, Tenant, Product, Invoice, Call, Order, Webhook, Target, Methodology, PermissionSet];
}
