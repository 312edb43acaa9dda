using Crm.Abstractions;
using Crm.Kernel.Security;

namespace Crm.Kernel.Journal;

/// <summary>The tenant's journal: every committed event in one order, with who, when and why (administrators and heads).</summary>
public sealed class SessionJournal
{
    private readonly CrmSession _session;

    internal SessionJournal(CrmSession session) => _session = session;

    /// <summary>Reads up to <paramref name="maxCount"/> entries after <paramref name="afterPosition"/> (0: from the start).</summary>
    /// <exception cref="AccessDeniedException">The user is a seller.</exception>
    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(long afterPosition = 0, int maxCount = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        if (actor.User.Role == CrmRole.Seller)
        {
            throw new AccessDeniedException(actor.Id, "read the journal");
        }

        var result = new List<JournalEntry>();
        await foreach (var record in unit.Context.Store.ReadJournalAsync(unit.Tenant, afterPosition, maxCount, cancellationToken).ConfigureAwait(false))
        {
            result.Add(JournalReplay.ToEntry(unit.Context.EventTypes, record));
        }

        return result;
    }
}
