using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Journal;

/// <summary>A committed event with its journal envelope: position, id, who, when, why.</summary>
/// <param name="Position">The position in the tenant's journal (1, 2, 3… in commit order).</param>
/// <param name="EventId">The event's id; consumers use it to stay idempotent.</param>
/// <param name="StreamKind">The kind of record it belongs to, e.g. <c>deal</c>.</param>
/// <param name="StreamId">The record's id.</param>
/// <param name="Event">The event.</param>
/// <param name="OccurredAt">When it happened in business time.</param>
/// <param name="RecordedAt">When it was committed.</param>
/// <param name="Actor">The user who caused it; null for the kernel itself.</param>
/// <param name="Cause">Why: manual, goal, rule, process, import…</param>
public sealed record JournalEntry(
    long Position,
    Guid EventId,
    string StreamKind,
    string StreamId,
    DomainEvent Event,
    Instant OccurredAt,
    Instant RecordedAt,
    UserId? Actor,
    Cause Cause)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"#{Position} {OccurredAt} {Event.GetType().Name} {StreamKind}/{StreamId} by {Actor?.Value ?? "system"} ({Cause})";
}

/// <summary>The outcome of <see cref="Crm.Kernel.Hosting.CrmKernel.VerifyJournalAsync"/>.</summary>
/// <param name="EventsReplayed">How many journal entries were folded.</param>
/// <param name="RecordsCompared">How many stored records were compared.</param>
/// <param name="Differences">Each record whose stored state differs from the replayed one (empty when consistent).</param>
public sealed record JournalVerification(long EventsReplayed, int RecordsCompared, IReadOnlyList<string> Differences)
{
    /// <summary>True when the stored state equals the replayed journal.</summary>
    public bool IsConsistent => Differences.Count == 0;
}
