using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Scheduling;

/// <summary>What one <see cref="CrmScheduler.RunDueAsync"/> call did.</summary>
/// <param name="Claimed">Timers claimed.</param>
/// <param name="Fired">Timers whose effect was committed.</param>
/// <param name="Lost">Timers whose claim was lost to another runner before the commit (their effect was not written).</param>
/// <param name="Failed">Timers whose handler failed; they stay claimed until the lease expires and are retried then.</param>
public readonly record struct SchedulerRun(int Claimed, int Fired, int Lost, int Failed);

/// <summary>
/// Fires durable timers (reminders, deadlines, escalations, scheduled rule actions, process timeouts). Timers are
/// written by the command that sets them, in its unit of work. <see cref="RunDueAsync"/> claims due timers with a lease
/// and fires each in its own unit of work that also completes the timer, so a timer's effect is committed exactly
/// once: if the runner dies between claim and commit nothing was written, the lease expires and another run fires it.
/// After downtime it catches up in due order. Safe with several runners on one store.
/// </summary>
public sealed class CrmScheduler
{
    private readonly KernelContext _context;
    private readonly Dictionary<string, ITimerHandler> _handlers;
    private readonly CrmKernelOptions _options;

    internal CrmScheduler(KernelContext context, IEnumerable<ITimerHandler> handlers, Microsoft.Extensions.Options.IOptions<CrmKernelOptions> options)
    {
        _context = context;
        _options = options.Value;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
    }

    /// <summary>A test seam: called after a timer's effect is prepared and before it is committed; throwing simulates a crash.</summary>
    internal Action<IReadOnlyList<ClaimedTimer>>? BeforeCommit { get; set; }

    /// <summary>Claims and fires every timer due at <paramref name="now"/>, oldest first, in batches until none is left.</summary>
    /// <param name="now">The instant to fire up to (the clock's now in production; a simulated instant in tests).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public async Task<SchedulerRun> RunDueAsync(Instant now, CancellationToken cancellationToken = default)
    {
        var total = new SchedulerRun();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var claimed = await _context.Store.ClaimDueTimersAsync(now, _options.TimerLease, _options.TimerBatchSize, cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                return total;
            }

            // Fire in due order. Consecutive timers of one tenant share a unit of work (TimerCommitGroup of them per
            // commit); if a group fails, its timers are retried one by one so one bad timer cannot block the others.
            var outcomes = new List<Outcome>(claimed.Count);
            var groupSize = _options.TimerCommitGroup;
            for (var i = 0; i < claimed.Count;)
            {
                var group = new List<ClaimedTimer> { claimed[i++] };
                while (i < claimed.Count && group.Count < groupSize && claimed[i].Timer.Tenant == group[0].Timer.Tenant)
                {
                    group.Add(claimed[i++]);
                }

                var outcome = await FireAsync(group, now, cancellationToken).ConfigureAwait(false);
                if (outcome == Outcome.Fired || group.Count == 1)
                {
                    outcomes.AddRange(Enumerable.Repeat(outcome, group.Count));
                    continue;
                }

                foreach (var single in group)
                {
                    outcomes.Add(await FireAsync([single], now, cancellationToken).ConfigureAwait(false));
                }
            }

            total = new SchedulerRun(
                total.Claimed + claimed.Count,
                total.Fired + outcomes.Count(o => o == Outcome.Fired),
                total.Lost + outcomes.Count(o => o == Outcome.Lost),
                total.Failed + outcomes.Count(o => o == Outcome.Failed));
            if (outcomes.All(o => o != Outcome.Fired))
            {
                // Nothing progressed: the failed ones stay leased; don't spin on them in this run.
                return total;
            }
        }
    }

    private async Task<Outcome> FireAsync(IReadOnlyList<ClaimedTimer> group, Instant now, CancellationToken cancellationToken)
    {
        var unit = _context.Begin(group[0].Timer.Tenant, null, now);
        try
        {
            foreach (var claimed in group)
            {
                if (_handlers.TryGetValue(claimed.Timer.Kind, out var handler))
                {
                    await handler.FireAsync(unit, claimed.Timer, cancellationToken).ConfigureAwait(false);
                }

                // A timer without a handler (e.g. a plug-in that is gone) is completed so it does not fire for ever.
                unit.CompleteTimer(claimed);
            }

            BeforeCommit?.Invoke(group);
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
            return Outcome.Fired;
        }
        catch (ConcurrencyConflictException e) when (e.Kind == "timer")
        {
            return Outcome.Lost;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Outcome.Failed;
        }
    }

    private enum Outcome
    {
        Fired,
        Lost,
        Failed,
    }
}

/// <summary>Fires one kind of timer inside the unit of work that completes it.</summary>
internal interface ITimerHandler
{
    string Kind { get; }

    ValueTask FireAsync(UnitOfWork unit, ScheduledTimer timer, CancellationToken cancellationToken);
}
