using NodaTime;

namespace Crm.Abstractions.Storage;

/// <summary>
/// The storage port. A store keeps, per tenant, aggregate documents with versions and secondary indexes, unique keys,
/// the journal (an ordered log of committed events) and durable timers. Guarantees every implementation gives (checked
/// by the storage conformance suite):
/// <list type="bullet">
/// <item><description>A commit is atomic: all its documents, events, keys and timer changes, or none.</description></item>
/// <item><description>Optimistic concurrency: a stale <see cref="DocumentWrite.ExpectedVersion"/> fails the commit with <see cref="ConcurrencyConflictException"/>.</description></item>
/// <item><description>A unique key held by another owner fails the commit with <see cref="DuplicateKeyException"/>.</description></item>
/// <item><description>The journal of a tenant has one order; a reader following positions never misses a committed event.</description></item>
/// <item><description>Tenants never see each other's data.</description></item>
/// <item><description>A timer completed by a commit is fired exactly once: a completion whose claim was lost fails the commit.</description></item>
/// <item><description>A journal consumer of a tenant has at most one owner under an unexpired lease.</description></item>
/// </list>
/// Implementations are thread-safe.
/// </summary>
public interface ICrmStore
{
    /// <summary>Loads one document, or null when it does not exist.</summary>
    ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default);

    /// <summary>Streams the documents of a kind, optionally only those with an index entry, in id order.</summary>
    IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, CancellationToken cancellationToken = default);

    /// <summary>The owner id of a unique key, or null when the key is free.</summary>
    ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits a unit of work atomically: every write, and every <see cref="StoreCommit.ReadChecks"/> entry verified
    /// against the stored version as part of the commit, so that it fails when a commit ordered before it (in journal
    /// order) had changed a checked document; a commit that changes one after the check is ordered after it.
    /// </summary>
    /// <exception cref="ConcurrencyConflictException">A document version (written or read-checked) or a timer claim was stale; nothing was written.</exception>
    /// <exception cref="DuplicateKeyException">A unique key belongs to another owner; nothing was written.</exception>
    ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="maxCount"/> journal entries after a position, in journal order.</summary>
    IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <paramref name="maxCount"/> timers due at <paramref name="now"/> (over all tenants), oldest due first,
    /// skipping those under an unexpired lease. Each claim lasts <paramref name="lease"/>.</summary>
    ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Lists a tenant's pending timers in due order (for diagnostics and tests).</summary>
    IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims a journal consumer of a tenant (for example <c>webhook:&lt;id&gt;</c> or <c>notifications</c>) for
    /// <paramref name="owner"/> until <paramref name="now"/> + <paramref name="lease"/>, so that one host at a time
    /// works its pages. Succeeds when the consumer is free, its lease has expired at <paramref name="now"/>, or
    /// <paramref name="owner"/> already holds it (then the lease is renewed). Fails, without waiting, while another
    /// owner holds an unexpired lease or is claiming it at this moment.
    /// </summary>
    /// <returns>True when <paramref name="owner"/> holds the consumer until <paramref name="now"/> + <paramref name="lease"/>.</returns>
    /// <exception cref="ArgumentException">An empty consumer or owner, or a lease that is not positive.</exception>
    ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases a consumer claimed by <paramref name="owner"/>, so another host may claim it at once. Does nothing when
    /// <paramref name="owner"/> no longer holds it (its lease expired and another owner took it).
    /// </summary>
    /// <exception cref="ArgumentException">An empty consumer or owner.</exception>
    ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default);
}
