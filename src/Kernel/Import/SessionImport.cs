using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Import;

/// <summary>One stay of an imported deal in a stage, with its original instants.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="EnteredAt">When the deal entered it.</param>
/// <param name="LeftAt">When it left; null for the last one.</param>
public sealed record ImportedStay(StageId Stage, Instant EnteredAt, Instant? LeftAt);

/// <summary>A deal from another CRM with its whole stage history; its instants are kept (a deal won in March counts in March).</summary>
/// <param name="Id">The deal id.</param>
/// <param name="Client">The client (already imported).</param>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Owner">The owner.</param>
/// <param name="Amount">The amount.</param>
/// <param name="History">The stays, oldest first, contiguous.</param>
public sealed record ImportedDeal(DealId Id, ClientId Client, PipelineId Pipeline, UserId Owner, Money Amount, IReadOnlyList<ImportedStay> History)
{
    /// <summary>Where it came from.</summary>
    public string? Source { get; init; }
}

/// <summary>A revenue target of a user over a plan period.</summary>
public sealed record Target
{
    /// <summary>The user.</summary>
    public required UserId Owner { get; init; }
    /// <summary>First day of the period.</summary>
    public LocalDate Start { get; init; }
    /// <summary>Last day of the period (inclusive).</summary>
    public LocalDate End { get; init; }
    /// <summary>The revenue target.</summary>
    public required Money Amount { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>
/// Imports history from another CRM through the kernel's own commands (administrators): deals with their original
/// stage instants (journaled with cause Import) and plan targets. Re-running skips what is already there, so an import
/// that stopped resumes where it stopped.
/// </summary>
public sealed class SessionImport
{
    private readonly CrmSession _session;

    internal SessionImport(CrmSession session) => _session = session;

    /// <summary>Imports a deal with its history. Returns false when a deal with that id exists already.</summary>
    /// <exception cref="CrmValidationException">An unknown stage, an empty or non-contiguous history, a history that begins in a won or lost stage, or a closed stay that is not last.</exception>
    public async Task<bool> ImportDealAsync(ImportedDeal deal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deal);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("import deals");
        if (await unit.FindAsync(Kinds.Deal, deal.Id.Value, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        if (deal.History is null || deal.History.Count == 0)
        {
            throw new CrmValidationException("history", $"deal '{deal.Id}' needs at least one stage stay.");
        }

        await unit.GetAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false);
        var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
        var cause = new Cause(CauseKind.Import, "import");
        for (var i = 0; i < deal.History.Count; i++)
        {
            var stay = deal.History[i];
            var stage = DealOperations.StageOf(pipeline, stay.Stage, $"history[{i}].stage");
            if (i == 0 && stage.Kind != StageKind.Open)
            {
                // Through the API a deal opens in an open stage and then moves; opening it closed would leave it open
                // in a won or lost stage (Issue 17), so such a history is refused.
                throw new CrmValidationException("history[0].stage", $"deal '{deal.Id}' begins in {stage.Kind.ToString().ToLowerInvariant()} stage '{stay.Stage}'; a deal opens in an open stage and then moves, so its history must begin with an open stay.");
            }

            if (i + 1 < deal.History.Count && stay.LeftAt != deal.History[i + 1].EnteredAt)
            {
                throw new CrmValidationException($"history[{i}].leftAt", $"deal '{deal.Id}': a stay must end when the next begins ({stay.LeftAt} vs {deal.History[i + 1].EnteredAt}).");
            }

            if (i == 0)
            {
                await unit.RecordAsync(new DealOpened(deal.Id, deal.Client, deal.Pipeline, stay.Stage, deal.Owner, deal.Amount, null, deal.Source, null, null,
                    new Dictionary<string, string>()), cause, cancellationToken, stay.EnteredAt).ConfigureAwait(false);
            }
            else
            {
                await unit.RecordAsync(new DealStageChanged(deal.Id, deal.History[i - 1].Stage, stay.Stage, stage.Kind), cause, cancellationToken, stay.EnteredAt).ConfigureAwait(false);
            }
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sets (or replaces) a user's revenue target for a plan period.</summary>
    /// <exception cref="CrmValidationException">The period ends before it starts, or the target is negative.</exception>
    public async Task<Target> DefineTargetAsync(UserId owner, LocalDate start, LocalDate end, Money target, CancellationToken cancellationToken = default)
    {
        if (end < start)
        {
            throw new CrmValidationException("end", $"the period ends ({end}) before it starts ({start}).");
        }

        if (target.Currency is null || target.Amount < 0m)
        {
            throw new CrmValidationException("target", $"a target of zero or more with a currency is required; got {target}.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("set targets");
        await unit.GetAsync(Kinds.User, owner.Value, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new TargetSet(owner, start, end, target), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Target, TargetKey(owner, start));
    }

    internal static string TargetKey(UserId owner, LocalDate start) => $"{owner}:{start:yyyy-MM-dd}";
}
