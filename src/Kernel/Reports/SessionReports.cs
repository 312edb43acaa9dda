using Crm.Abstractions;
using Crm.Kernel.Deals;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Reports;

/// <summary>
/// Reports as one session sees them: <see cref="GetSnapshotAsync"/> loads a compact snapshot of the deals the user may
/// see (a seller: their own; a head: the team's), their clients, owners, stages, targets and activities; the pure calculators in
/// <see cref="SalesReports"/> compute over it. So a seller's report equals the head's report filtered to that seller.
/// </summary>
/// <example><code>
/// var data = await session.Reports.GetSnapshotAsync();
/// var funnel = SalesReports.Funnel(data);
/// var abc = SalesReports.Abc(data, "USD");
/// </code></example>
public sealed class SessionReports
{
    private readonly CrmSession _session;

    internal SessionReports(CrmSession session) => _session = session;

    /// <summary>
    /// ABC analysis of products beside the ABC of clients: the lines of the paid invoices in <paramref name="currency"/>
    /// of the deals the session may see, summed per product by net revenue (before tax) or by units, ranked highest
    /// first (ties by product id) and classed like clients by default: by the cumulative share of the products ranked
    /// before it, below <paramref name="a"/> A, below <paramref name="a"/> + <paramref name="b"/> B, else C. Sales are
    /// counted from paid invoices (what was actually sold), not from won deals' lines.
    /// </summary>
    /// <param name="measure">Rank by revenue or by quantity.</param>
    /// <param name="currency">The currency of the paid invoices counted (others are left out).</param>
    /// <param name="a">The share class A covers, in (0, 1).</param>
    /// <param name="b">The share class B covers after A, with A + B ≤ 1.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="CrmValidationException">The shares are out of range, the measure is not defined, or the currency is not three upper-case letters.</exception>
    public async Task<ProductAbcReport> GetProductAbcAsync(ProductAbcMeasure measure, string currency, decimal a = 0.80m, decimal b = 0.15m, CancellationToken cancellationToken = default)
    {
        if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
        {
            throw new CrmValidationException("currency", $"three upper-case letters (ISO 4217) are required, e.g. USD; got '{Validation.InputRules.Quote(currency)}'.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var sold = new List<ProductAbc.Sold>();
        var owners = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Invoice.Name, new Crm.Abstractions.Storage.IndexEntry("status", nameof(Invoicing.InvoiceStatus.Paid)), cancellationToken).ConfigureAwait(false))
        {
            var invoice = (Invoicing.Invoice)Kinds.Invoice.Read(document);
            if (invoice.Status != Invoicing.InvoiceStatus.Paid || invoice.Currency != currency)
            {
                continue;
            }

            if (!owners.TryGetValue(invoice.Deal.Value, out var visible))
            {
                var deal = await unit.FindAsync(Kinds.Deal, invoice.Deal.Value, cancellationToken).ConfigureAwait(false);
                owners[invoice.Deal.Value] = visible = deal is not null && actor.CanSee(deal.Owner);
            }

            if (visible)
            {
                foreach (var line in invoice.Lines)
                {
                    sold.Add(new ProductAbc.Sold(line.Product, line.Description, line.Net, line.Quantity));
                }
            }
        }

        return ProductAbc.Classify(sold, measure, currency, a, b);
    }

    /// <summary>Loads the snapshot of what the session may see, optionally of one pipeline.</summary>
    public async Task<ReportData> GetSnapshotAsync(PipelineId? pipeline = null, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var store = unit.Context.Store;
        var builder = new ReportDataBuilder();
        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Pipeline.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var definition = ((StoredPipeline)Kinds.Pipeline.Read(document)).Definition;
            if (pipeline is null || definition.Id == pipeline)
            {
                builder.AddStages(definition);
            }
        }

        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.User.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var user = (Organization.CrmUser)Kinds.User.Read(document);
            if (actor.CanSee(user.Id))
            {
                builder.AddUser(user.Id, user.Team, user.Name);
            }
        }

        // Team names for the teams of the users the session sees (no other team enters the snapshot).
        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Team.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var team = (Organization.Team)Kinds.Team.Read(document);
            if (builder.Teams.Find(team.Id.Value) >= 0)
            {
                builder.AddTeam(team.Id, team.Name);
            }
        }

        // A session's snapshot holds the client cards it may see, plus the cards of the deals it may see (a deal handed
        // to the seller may belong to a colleague's client): never the whole company's card list.
        var hidden = new Dictionary<string, Clients.Client>(StringComparer.Ordinal);
        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Client.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var client = (Clients.Client)Kinds.Client.Read(document);
            if (actor.CanSee(client.Owner))
            {
                builder.AddClient(client.Id, client.Region, client.City, client.Industry, client.RegisteredAt, client.Name);
            }
            else
            {
                hidden[client.Id.Value] = client;
            }
        }

        // Deals go into the columns as they are read (no list of deal objects: the snapshot's memory is its columns),
        // each read into a slim shape with only the snapshot's fields: the rest of the document (custom fields,
        // classifiers, goals, each visit's actor and cause) is skipped by the JSON reader, not materialised. The store
        // returns them in id order, and the builder sorts them by id only if they were not.
        foreach (var index in SessionDeals.VisibleScans(actor, new DealQuery { Pipeline = pipeline }))
        {
            await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Deal.Name, index, cancellationToken).ConfigureAwait(false))
            {
                var deal = System.Text.Json.JsonSerializer.Deserialize<SnapshotDeal>(document.Json, CrmJson.Options)
                    ?? throw new InvalidOperationException($"Deal document '{document.Id}' is empty.");
                if (!actor.CanSee(deal.Owner) || (pipeline is not null && deal.Pipeline != pipeline))
                {
                    continue;
                }

                var outcome = deal.Status switch { DealStatus.Won => DealOutcome.Won, DealStatus.Lost => DealOutcome.Lost, _ => DealOutcome.Open };
                builder.AddDealWithHistory(deal.Id, deal.Client, deal.Owner, deal.Amount, deal.Source, outcome, deal.OpenedAt, deal.ClosedAt,
                    deal.History, deal.WinProbability, deal.ExpectedClose);
                if (hidden.Remove(deal.Client.Value, out var card))
                {
                    builder.AddClient(card.Id, card.Region, card.City, card.Industry, card.RegisteredAt, card.Name);
                }
            }
        }

        builder.SortDealsById();

        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Target.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var target = (Import.Target)Kinds.Target.Read(document);
            if (actor.CanSee(target.Owner))
            {
                builder.AddTarget(target.Owner, target.Start, target.End, target.Amount);
            }
        }

        await foreach (var document in store.QueryAsync(unit.Tenant, Kinds.Activity.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var activity = (Activities.Activity)Kinds.Activity.Read(document);
            if (actor.CanSee(activity.By))
            {
                builder.AddActivity(activity.By, activity.Kind, activity.At);
            }
        }

        return builder.Build();
    }

    /// <summary>The fields of a stored deal the snapshot reads (same JSON names as <see cref="Deal"/>).</summary>
    private sealed class SnapshotDeal
    {
        public DealId Id { get; init; }
        public ClientId Client { get; init; }
        public PipelineId Pipeline { get; init; }
        public UserId Owner { get; init; }
        public Money Amount { get; init; }
        public string? Source { get; init; }
        public decimal? WinProbability { get; init; }
        public NodaTime.LocalDate? ExpectedClose { get; init; }
        public DealStatus Status { get; init; }
        public NodaTime.Instant OpenedAt { get; init; }
        public NodaTime.Instant? ClosedAt { get; init; }
        public IReadOnlyList<StoredStay> History { get; init; } = [];
    }
}
