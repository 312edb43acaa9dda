using NodaTime;

namespace Crm.Abstractions.Storage;

/// <summary>A stored aggregate: its kind, id, version (1 after the first write) and JSON state.</summary>
/// <param name="Kind">The aggregate kind, e.g. <c>deal</c>.</param>
/// <param name="Id">The aggregate id within the tenant.</param>
/// <param name="Version">The version; each committed write adds one.</param>
/// <param name="Json">The serialized state.</param>
public sealed record StoredDocument(string Kind, string Id, long Version, string Json);

/// <summary>A secondary index entry of a document, used by <see cref="ICrmStore.QueryAsync"/>.</summary>
/// <param name="Name">The index name, e.g. <c>pipeline</c>.</param>
/// <param name="Value">The indexed value.</param>
public readonly record struct IndexEntry(string Name, string Value);

/// <summary>
/// A document write inside a commit. <see cref="ExpectedVersion"/> is the version the writer read (0: the document
/// must not exist yet); the stored version becomes <c>ExpectedVersion + 1</c>. A mismatch fails the whole commit with
/// <see cref="ConcurrencyConflictException"/>.
/// </summary>
/// <param name="Kind">The aggregate kind.</param>
/// <param name="Id">The aggregate id.</param>
/// <param name="ExpectedVersion">The version read before the change.</param>
/// <param name="Json">The new state.</param>
/// <param name="Indexes">The document's index entries; they replace the previous ones.</param>
public sealed record DocumentWrite(string Kind, string Id, long ExpectedVersion, string Json, IReadOnlyList<IndexEntry> Indexes)
{
    /// <summary>
    /// False when the writer knows <see cref="Indexes"/> equal the document's stored entries; a store may then skip
    /// rewriting them. Defaults to true (always safe).
    /// </summary>
    public bool IndexesChanged { get; init; } = true;
}

/// <summary>
/// A document the commit read but does not write, with the version it read: the commit fails with
/// <see cref="ConcurrencyConflictException"/> (and writes nothing) unless the stored version is still
/// <see cref="Version"/> when it commits. Lets a writer use states it read earlier (a cache) without a stale read
/// deciding a commit.
/// </summary>
/// <param name="Kind">The aggregate kind.</param>
/// <param name="Id">The aggregate id.</param>
/// <param name="Version">The version the writer read; 0 when it found no such document (it must still not exist).</param>
public readonly record struct DocumentVersionCheck(string Kind, string Id, long Version);

/// <summary>Takes (or releases) a tenant-wide unique key for an owner, e.g. a client's normalized phone.</summary>
/// <param name="Scope">The key's scope, e.g. <c>client-phone</c>.</param>
/// <param name="Key">The key.</param>
/// <param name="OwnerId">The id of the record that holds it.</param>
/// <param name="Release">True to release a key the owner holds.</param>
public sealed record UniqueKeyChange(string Scope, string Key, string OwnerId, bool Release = false);

/// <summary>An event to append to the tenant's journal inside a commit.</summary>
/// <param name="EventId">The event's id (idempotency key for consumers).</param>
/// <param name="StreamKind">The aggregate kind the event belongs to.</param>
/// <param name="StreamId">The aggregate id.</param>
/// <param name="EventType">The event's type name.</param>
/// <param name="Payload">The serialized event.</param>
/// <param name="OccurredAt">When it happened in business time (an import keeps the original instant).</param>
/// <param name="Actor">The user who caused it, or null for the system.</param>
/// <param name="Cause">Why it happened.</param>
public sealed record JournalAppend(
    Guid EventId,
    string StreamKind,
    string StreamId,
    string EventType,
    string Payload,
    Instant OccurredAt,
    string? Actor,
    Cause Cause);

/// <summary>A committed journal entry, in the tenant's global order.</summary>
/// <param name="Position">The position in the tenant's journal; strictly increasing in commit order, starting at 1.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="CommitId">The unit of work that committed it.</param>
/// <param name="RecordedAt">When the commit happened.</param>
/// <param name="Event">The appended event.</param>
public sealed record JournalRecord(long Position, TenantId Tenant, Guid CommitId, Instant RecordedAt, JournalAppend Event);

/// <summary>A durable timer: at <see cref="DueAt"/> the scheduler fires it once, in its own unit of work.</summary>
/// <param name="Id">The timer's id, unique per tenant; also the idempotency key of its effect.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="DueAt">When it is due.</param>
/// <param name="Kind">What fires it, e.g. <c>task-reminder</c>.</param>
/// <param name="Payload">Serialized data for the handler.</param>
public sealed record ScheduledTimer(string Id, TenantId Tenant, Instant DueAt, string Kind, string Payload);

/// <summary>A timer claimed by one runner until <see cref="LeaseExpiresAt"/>.</summary>
/// <param name="Timer">The timer.</param>
/// <param name="ClaimToken">The token the completing commit must present.</param>
/// <param name="LeaseExpiresAt">After this, another runner may claim it again.</param>
/// <param name="Attempt">How many times it has been claimed, this claim included.</param>
public sealed record ClaimedTimer(ScheduledTimer Timer, string ClaimToken, Instant LeaseExpiresAt, int Attempt);

/// <summary>Completes (deletes) a claimed timer inside a commit; fails the commit if the claim was lost.</summary>
/// <param name="TimerId">The timer's id.</param>
/// <param name="ClaimToken">The token from <see cref="ClaimedTimer.ClaimToken"/>.</param>
public sealed record TimerCompletion(string TimerId, string ClaimToken);

/// <summary>Everything one unit of work writes, committed atomically or not at all.</summary>
/// <param name="Tenant">The tenant every write is scoped to.</param>
/// <param name="CommitId">The unit of work's id.</param>
/// <param name="RecordedAt">When the commit happens (from the kernel's clock).</param>
public sealed record StoreCommit(TenantId Tenant, Guid CommitId, Instant RecordedAt)
{
    /// <summary>Aggregate states to write, each with its expected version.</summary>
    public IReadOnlyList<DocumentWrite> Documents { get; init; } = [];
    /// <summary>Events to append to the journal, in order.</summary>
    public IReadOnlyList<JournalAppend> Events { get; init; } = [];
    /// <summary>Unique keys to take or release.</summary>
    public IReadOnlyList<UniqueKeyChange> UniqueKeys { get; init; } = [];
    /// <summary>Timers to set (an existing timer with the same id is replaced).</summary>
    public IReadOnlyList<ScheduledTimer> TimersToSet { get; init; } = [];
    /// <summary>Ids of timers to cancel (missing ones are ignored).</summary>
    public IReadOnlyList<string> TimersToCancel { get; init; } = [];
    /// <summary>Claimed timers this commit completes.</summary>
    public IReadOnlyList<TimerCompletion> TimersCompleted { get; init; } = [];
    /// <summary>Documents read but not written whose version must be unchanged at commit (see <see cref="DocumentVersionCheck"/>).</summary>
    public IReadOnlyList<DocumentVersionCheck> ReadChecks { get; init; } = [];
}

/// <summary>The outcome of a commit.</summary>
/// <param name="FirstPosition">The journal position of the first appended event (0 when none).</param>
/// <param name="LastPosition">The journal position of the last appended event (0 when none).</param>
public readonly record struct CommitResult(long FirstPosition, long LastPosition);
