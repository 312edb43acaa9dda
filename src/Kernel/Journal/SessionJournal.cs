using Crm.Abstractions;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Journal;

/// <summary>
/// The tenant's journal: every committed event in one order, with who, when and why. Administrators and users whose
/// rights include <see cref="Permission.SeeAllTeams"/> read all of it; anyone else with <see cref="Permission.ReadJournal"/>
/// (a head, by default) reads only the entries of the records they see (their team's deals, clients, tasks, activities,
/// invoices, processes, rule instances, calls, notifications, targets and users), and no configuration entries.
/// </summary>
public sealed class SessionJournal
{
    private readonly CrmSession _session;

    internal SessionJournal(CrmSession session) => _session = session;

    /// <summary>
    /// Reads up to <paramref name="maxCount"/> entries after <paramref name="afterPosition"/> (0: from the start), of those
    /// the user may see. Entries filtered out still count towards <paramref name="maxCount"/>, so a reader pages on from
    /// the position of the last entry it asked for, not the last it got: an empty page does not mean the end when the
    /// journal has more.
    /// </summary>
    /// <exception cref="AccessDeniedException">The user's rights do not include <see cref="Permission.ReadJournal"/> (sellers by default).</exception>
    public async Task<IReadOnlyList<JournalEntry>> ListAsync(long afterPosition = 0, int maxCount = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.Require(Permission.ReadJournal, "read the journal");
        var owners = new Dictionary<(string, string), UserId?>();
        var result = new List<JournalEntry>();
        await foreach (var record in unit.Context.Store.ReadJournalAsync(unit.Tenant, afterPosition, maxCount, cancellationToken).ConfigureAwait(false))
        {
            if (actor.VisibleOwners is not null)
            {
                var key = (record.Event.StreamKind, record.Event.StreamId);
                if (!owners.TryGetValue(key, out var owner))
                {
                    owner = await RecordOwner.OfStreamAsync(unit, key.StreamKind, key.StreamId, cancellationToken).ConfigureAwait(false);
                    owners[key] = owner;
                }

                if (owner is not { } o || !actor.CanSee(o))
                {
                    continue;
                }
            }

            result.Add(JournalReplay.ToEntry(unit.Context.EventTypes, record));
        }

        return result;
    }
}
