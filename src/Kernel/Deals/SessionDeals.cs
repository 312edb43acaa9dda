using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Deals;

/// <summary>
/// Deals as one session sees them. Queries return only deals the user may see; commands on other deals throw
/// <see cref="AccessDeniedException"/>. Every command commits atomically with its journal entries and reactions.
/// Commands that take an <c>expectedVersion</c> throw <see cref="ConcurrencyConflictException"/> when the deal changed
/// since that version was read.
/// </summary>
public sealed class SessionDeals
{
    private const int MaxTextLength = 4000;
    private readonly CrmSession _session;

    internal SessionDeals(CrmSession session) => _session = session;

    /// <summary>
    /// Opens a deal with a client in a pipeline. The client must be one the user sees; a head or an administrator who
    /// opens a deal for a seller on a colleague's client shares that one card with the seller (see docs/security.md).
    /// </summary>
    /// <exception cref="CrmValidationException">Bad input (negative amount, unknown stage, probability outside [0, 1]…).</exception>
    /// <exception cref="StageRequirementsNotMetException">The first stage requires fields the deal lacks.</exception>
    /// <exception cref="AccessDeniedException">The owner is outside what the user may act for.</exception>
    /// <exception cref="EntityNotFoundException">The client does not exist or the user does not see it, or the pipeline does not exist.</exception>
    public async Task<Deal> OpenAsync(NewDeal deal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deal);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var errors = new List<ValidationError>();
        if (deal.Amount.Currency is null)
        {
            errors.Add(new("amount", "an amount with a currency is required, e.g. Money.Of(1200m, \"USD\")."));
        }
        else if (deal.Amount.Amount < 0m)
        {
            errors.Add(new("amount", $"must be zero or more; got {deal.Amount}."));
        }
        else
        {
            InputRules.Amount(errors, "amount", deal.Amount.Amount);
        }

        InputRules.Date(errors, "expectedClose", deal.ExpectedClose);

        if (deal.WinProbability is < 0m or > 1m)
        {
            errors.Add(new("winProbability", $"must be between 0 and 1; got {deal.WinProbability}."));
        }

        CheckText(errors, "title", deal.Title, 500);
        CheckText(errors, "source", deal.Source, 200);
        var fields = CheckFields(errors, deal.Fields);
        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var owner = deal.Owner ?? actor.Id;
        actor.RequireCanActFor(owner, "open a deal for another user", $"user '{owner}'");
        // A deal on a colleague's client shares that card with the deal's owner: only someone who sees the card may do it.
        var client = await RecordOwner.VisibleClientAsync(unit, actor, deal.Client, cancellationToken).ConfigureAwait(false);

        var ownerUser = await unit.FindAsync(Kinds.User, owner.Value, cancellationToken).ConfigureAwait(false);
        if (ownerUser is not { IsActive: true })
        {
            throw new CrmValidationException("owner", $"user '{owner}' is not an active user of this tenant.");
        }

        var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
        var stage = deal.Stage is { } s
            ? DealOperations.StageOf(pipeline, s)
            : pipeline.Stages.FirstOrDefault(x => x.Kind == StageKind.Open && !x.IsUnsorted) ?? pipeline.Stages.First(x => x.Kind == StageKind.Open);
        if (stage.Kind != StageKind.Open)
        {
            throw new CrmValidationException("stage", $"a deal opens in an open stage; '{stage.Id}' is a {stage.Kind.ToString().ToLowerInvariant()} stage.");
        }

        var id = deal.Id ?? DealId.New();
        if (await unit.FindAsync(Kinds.Deal, id.Value, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new CrmValidationException("id", $"a deal with id '{id}' already exists.");
        }

        var opened = new DealOpened(id, client.Id, pipeline.Id, stage.Id, owner, deal.Amount, deal.Title?.Trim(), deal.Source?.Trim(),
            deal.WinProbability, deal.ExpectedClose, fields);
        var state = (Deal)(await unit.RecordAsync(opened, Cause.Manual, cancellationToken).ConfigureAwait(false))!;
        var missing = DealOperations.MissingFields(state, stage);
        if (missing.Count > 0)
        {
            throw new StageRequirementsNotMetException(id, stage.Id, missing);
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Deal, id.Value);
    }

    /// <summary>Gets a deal the session may see.</summary>
    /// <exception cref="EntityNotFoundException">It does not exist or the user may not see it.</exception>
    public async Task<Deal> GetAsync(DealId id, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var deal = await unit.FindAsync(Kinds.Deal, id.Value, cancellationToken).ConfigureAwait(false);
        return deal is not null && actor.CanSee(deal.Owner) ? deal : throw new EntityNotFoundException("deal", id.Value);
    }

    /// <summary>Lists the deals the session may see, filtered by the query, ordered by id.</summary>
    public async Task<IReadOnlyList<Deal>> ListAsync(DealQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new DealQuery();
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Deal>();
        await foreach (var deal in QueryVisibleAsync(unit, actor, query, cancellationToken).ConfigureAwait(false))
        {
            result.Add(deal);
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return result;
    }

    /// <summary>Moves a deal to a stage (a card dragged on the board). Moving to the current stage changes nothing.</summary>
    /// <exception cref="StageRequirementsNotMetException">The stage requires fields the deal lacks; they are named.</exception>
    public Task<Deal> MoveAsync(DealId id, StageId stage, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, expectedVersion, "move", (unit, _, deal, ct) => DealOperations.MoveAsync(unit, deal, stage, Cause.Manual, ct), cancellationToken);

    /// <summary>Achieves a goal of the deal's current stage; its reactions (move, assign, tasks, processes…) run in the same unit.</summary>
    /// <exception cref="CrmValidationException">The goal is not a goal of the deal's current stage.</exception>
    /// <exception cref="ReactionCascadeTooDeepException">Reactions looped; nothing was written.</exception>
    public Task<Deal> AchieveGoalAsync(DealId id, GoalId goal, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, expectedVersion, "achieve a goal", async (unit, _, deal, ct) =>
        {
            await GoalEngine.AchieveAsync(unit, _session.Parts.Processes.Actions, deal.Id, goal, Cause.Manual, ct).ConfigureAwait(false);
            return await unit.GetAsync(Kinds.Deal, deal.Id.Value, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Hands the deal to another active user (a seller may not give deals away; a head within the team).</summary>
    public Task<Deal> AssignAsync(DealId id, UserId owner, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, expectedVersion, "reassign", async (unit, actor, deal, ct) =>
        {
            if (actor.User.Role == CrmRole.Seller)
            {
                throw new AccessDeniedException(actor.Id, "reassign deals", $"deal '{id}'");
            }

            actor.RequireCanActFor(owner, "hand a deal to a user outside their team", $"user '{owner}'");
            return await DealOperations.AssignAsync(unit, deal, owner, Cause.Manual, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Sets a custom field (null clears it).</summary>
    public Task<Deal> SetFieldAsync(DealId id, string name, string? value, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        CheckName(name, nameof(name));
        CheckValue(value, nameof(value));
        return RecordAsync(id, expectedVersion, "set a field", new DealFieldSet(id, name.Trim(), value), cancellationToken);
    }

    /// <summary>
    /// Records a business signal about the deal from outside the kernel (e.g. <c>DeliveryDocumentsSigned</c>); processes
    /// of the deal waiting for an event of that name move on in the same command.
    /// </summary>
    public Task<Deal> RaiseSignalAsync(DealId id, string name, CancellationToken cancellationToken = default)
    {
        CheckName(name, nameof(name));
        return RecordAsync(id, null, "signal a deal", new DealSignalRaised(id, name.Trim()), cancellationToken);
    }

    /// <summary>Sets an operational classifier (null clears it).</summary>
    public Task<Deal> SetClassifierAsync(DealId id, string name, string? value, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        CheckName(name, nameof(name));
        CheckValue(value, nameof(value));
        return RecordAsync(id, expectedVersion, "set a classifier", new DealClassifierSet(id, name.Trim(), value), cancellationToken);
    }

    /// <summary>Changes the amount; the currency may change too. A deal with product lines takes its amount from them.</summary>
    /// <exception cref="InvalidStateException">The deal has product lines (see <see cref="SetLinesAsync"/>).</exception>
    public Task<Deal> SetAmountAsync(DealId id, Money amount, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        if (amount.Currency is null || amount.Amount < 0m)
        {
            throw new CrmValidationException("amount", $"must be zero or more with a currency; got {amount}.");
        }

        if (InputRules.AmountProblem(amount.Amount) is { } problem)
        {
            throw new CrmValidationException("amount", problem);
        }

        return ChangeAsync(id, expectedVersion, "change the amount", async (unit, _, deal, ct) =>
        {
            if (deal.Lines is { Count: > 0 })
            {
                throw new InvalidStateException($"Deal '{id}' has product lines, so its amount follows them; change the lines with SetLinesAsync, or remove them first.");
            }

            return (Deal)(await unit.RecordAsync(new DealAmountChanged(id, amount), Cause.Manual, ct).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    /// <summary>Sets the deal's own win probability in [0, 1] (null: the stage's applies).</summary>
    public Task<Deal> SetWinProbabilityAsync(DealId id, decimal? probability, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        if (probability is < 0m or > 1m)
        {
            throw new CrmValidationException("probability", $"must be between 0 and 1; got {probability}.");
        }

        return RecordAsync(id, expectedVersion, "set the win probability", new DealWinProbabilitySet(id, probability), cancellationToken);
    }

    /// <summary>Sets the expected close date.</summary>
    /// <exception cref="CrmValidationException">The date is before 1900 or from 2200 on.</exception>
    public Task<Deal> SetExpectedCloseAsync(DealId id, LocalDate? date, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>(0);
        if (!InputRules.Date(errors, "date", date))
        {
            throw new CrmValidationException(errors);
        }

        return RecordAsync(id, expectedVersion, "set the expected close date", new DealExpectedCloseSet(id, date), cancellationToken);
    }

    /// <summary>
    /// Replaces the deal's product lines as a whole (an empty list removes them). While a deal has lines its amount
    /// follows them: the sum over the lines of quantity × unit price × (1 − discount ÷ 100), each line rounded half
    /// away from zero to cents, in the deal's currency; a <see cref="DealAmountChanged"/> is recorded in the same command
    /// when the amount changes, so reports and the board see it. Removing the lines keeps the last amount.
    /// </summary>
    /// <param name="id">The deal.</param>
    /// <param name="lines">The lines, each with a product of the catalogue and a unit price in the deal's currency.</param>
    /// <param name="expectedVersion">The version read, for optimistic concurrency.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <exception cref="CrmValidationException">More than 200 lines, a missing product id, a quantity outside (0, 1,000,000], a unit price below
    /// zero, beyond 10^15 or in another currency than the deal's, a discount outside [0, 100]; every problem with its path. Nothing is written.</exception>
    /// <exception cref="EntityNotFoundException">The deal does not exist, or a line names a product the catalogue does not have.</exception>
    /// <exception cref="AccessDeniedException">The user may not act on the deal.</exception>
    /// <exception cref="ConcurrencyConflictException">The deal changed since <paramref name="expectedVersion"/>.</exception>
    public Task<Deal> SetLinesAsync(DealId id, IReadOnlyList<DealLine> lines, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, expectedVersion, "set the lines of", async (unit, _, deal, ct) =>
        {
            var currency = deal.Amount.Currency ?? throw new InvalidStateException($"Deal '{id}' has an amount without a currency; set its amount with a currency first.");
            var checkedLines = await DealLines.CheckAsync(unit, lines, currency, ct).ConfigureAwait(false);
            var state = (Deal)(await unit.RecordAsync(new DealLinesSet(deal.Id, checkedLines), Cause.Manual, ct).ConfigureAwait(false))!;
            if (checkedLines.Count > 0 && DealLines.Total(checkedLines) is var total && total != deal.Amount.Amount)
            {
                state = (Deal)(await unit.RecordAsync(new DealAmountChanged(deal.Id, Money.Of(total, currency)), Cause.Manual, ct).ConfigureAwait(false))!;
            }

            return state;
        }, cancellationToken);

    /// <summary>
    /// The pipeline's deals as a Kanban board: one column per stage in path order (the unsorted stage first), each
    /// with its count and amount totals per currency over all its deals, and one page of cards, newest in the stage first.
    /// </summary>
    public async Task<KanbanBoard> GetBoardAsync(PipelineId pipelineId, KanbanQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new KanbanQuery();
        var pageSize = query.PageSize ?? _session.Parts.Options.KanbanPageSize;
        if (pageSize is < 1 or > 1000 || query.Skip < 0)
        {
            throw new CrmValidationException("pageSize", $"page size must be from 1 to 1000 and skip zero or more; got {pageSize} and {query.Skip}.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var pipeline = await DealOperations.PipelineOfAsync(unit, pipelineId, cancellationToken).ConfigureAwait(false);
        var byStage = new Dictionary<StageId, List<Deal>>();
        foreach (var stage in pipeline.Stages)
        {
            byStage[stage.Id] = new List<Deal>();
        }

        await foreach (var deal in QueryVisibleAsync(unit, actor, new DealQuery { Pipeline = pipelineId, Owner = query.Owner }, cancellationToken).ConfigureAwait(false))
        {
            if (byStage.TryGetValue(deal.Stage, out var list))
            {
                list.Add(deal);
            }
        }

        var columns = new List<KanbanColumn>(pipeline.Stages.Count);
        foreach (var stage in pipeline.Stages.OrderBy(s => s.IsUnsorted ? 0 : 1))
        {
            var deals = byStage[stage.Id];
            deals.Sort(static (a, b) =>
            {
                var byTime = b.EnteredStageAt.CompareTo(a.EnteredStageAt);
                return byTime != 0 ? byTime : string.CompareOrdinal(a.Id.Value, b.Id.Value);
            });
            var (totals, saturated) = KanbanTotals.Of(deals);

            var page = new List<KanbanCard>(Math.Min(pageSize, Math.Max(0, deals.Count - query.Skip)));
            for (var i = query.Skip; i < deals.Count && page.Count < pageSize; i++)
            {
                page.Add(new KanbanCard(deals[i], deals[i].EnteredStageAt, deals[i].WinProbability ?? stage.WinProbability));
            }

            columns.Add(new KanbanColumn(stage, deals.Count, totals, page, query.Skip + page.Count < deals.Count) { SaturatedTotals = saturated });
        }

        return new KanbanBoard(pipeline, columns);
    }

    /// <summary>The index scans that cover the deals <paramref name="actor"/> may see for <paramref name="query"/>; empty when none.</summary>
    internal static IReadOnlyList<IndexEntry?> VisibleScans(SessionActor actor, DealQuery query)
    {
        if (query.Owner is { } owner)
        {
            return actor.CanSee(owner) ? [new IndexEntry("owner", owner.Value)] : [];
        }

        if (actor.VisibleOwners is { } owners)
        {
            return owners.OrderBy(o => o.Value, StringComparer.Ordinal).Select(o => (IndexEntry?)new IndexEntry("owner", o.Value)).ToArray();
        }

        if (query.Pipeline is { } pipeline)
        {
            return [new IndexEntry("pipeline", pipeline.Value)];
        }

        return query.Client is { } client ? [new IndexEntry("client", client.Value)] : [null];
    }

    internal static async IAsyncEnumerable<Deal> QueryVisibleAsync(UnitOfWork unit, SessionActor actor, DealQuery query,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var scans = VisibleScans(actor, query);
        foreach (var index in scans)
        {
            await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Deal.Name, index, cancellationToken).ConfigureAwait(false))
            {
                var deal = (Deal)Kinds.Deal.Read(document);
                if (actor.CanSee(deal.Owner)
                    && (query.Pipeline is null || deal.Pipeline == query.Pipeline)
                    && (query.Client is null || deal.Client == query.Client)
                    && (query.Owner is null || deal.Owner == query.Owner)
                    && (query.Status is null || deal.Status == query.Status))
                {
                    yield return deal;
                }
            }
        }
    }

    private Task<Deal> RecordAsync(DealId id, long? expectedVersion, string action, DomainEvent change, CancellationToken cancellationToken) =>
        ChangeAsync(id, expectedVersion, action, async (unit, _, _, ct) =>
            (Deal)(await unit.RecordAsync(change, Cause.Manual, ct).ConfigureAwait(false))!, cancellationToken);

    private Task<Deal> ChangeAsync(DealId id, long? expectedVersion, string action,
        Func<UnitOfWork, SessionActor, Deal, CancellationToken, ValueTask<Deal>> change, CancellationToken cancellationToken) =>
        _session.CommandAsync(async (unit, actor, ct) =>
        {
            var deal = await unit.FindAsync(Kinds.Deal, id.Value, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("deal", id.Value);
            actor.RequireCanActFor(deal.Owner, action, $"deal '{id}'");
            if (expectedVersion is { } expected && expected != deal.Version)
            {
                throw new ConcurrencyConflictException("deal", id.Value, expected, deal.Version);
            }

            await change(unit, actor, deal, ct).ConfigureAwait(false);
            await unit.CommitAsync(ct).ConfigureAwait(false);
            return unit.Result(Kinds.Deal, id.Value);
        }, cancellationToken);

    private static void CheckText(List<ValidationError> errors, string field, string? value, int max)
    {
        if (value is { Length: > 0 } && value.Length > max)
        {
            errors.Add(new(field, $"is at most {max} characters; got {value.Length}."));
            return;
        }

        InputRules.Text(errors, field, value, max);
    }

    private static IReadOnlyDictionary<string, string> CheckFields(List<ValidationError> errors, IReadOnlyDictionary<string, string>? fields)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (fields is null)
        {
            return result;
        }

        foreach (var (name, value) in fields)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
            {
                errors.Add(new("fields", $"field names are 1 to 100 characters; got '{InputRules.Quote(name)}'."));
            }
            else if (value is null || value.Length > MaxTextLength)
            {
                errors.Add(new($"fields.{InputRules.Quote(name)}", $"a value is required, at most {MaxTextLength} characters."));
            }
            else if (InputRules.Problem(name, TextLimits.Key, required: true, singleLine: true) is { } nameProblem)
            {
                errors.Add(new("fields", $"field name '{InputRules.Quote(name)}' {nameProblem}"));
            }
            else if (InputRules.Problem(value, MaxTextLength) is { } valueProblem)
            {
                errors.Add(new($"fields.{name}", valueProblem));
            }
            else if (result.ContainsKey(name.Trim()))
            {
                errors.Add(new("fields", $"field name '{name.Trim()}' is given twice (names are compared after trimming)."));
            }
            else
            {
                result[name.Trim()] = value;
            }
        }

        return result;
    }

    private static void CheckName(string name, string field)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            throw new CrmValidationException(field, $"a name of 1 to 100 characters is required; got '{InputRules.Quote(name)}'.");
        }

        InputRules.RequireText(field, name, TextLimits.Key, required: true, singleLine: true);
    }

    private static void CheckValue(string? value, string field)
    {
        if (value is { Length: > MaxTextLength })
        {
            throw new CrmValidationException(field, $"is at most {MaxTextLength} characters; got {value.Length}.");
        }

        InputRules.RequireText(field, value, MaxTextLength);
    }
}
