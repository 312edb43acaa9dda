using System.Runtime.CompilerServices;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;

namespace Crm.Kernel.Storage;

/// <summary>
/// A store that keeps everything in memory: a test double that honours every guarantee of <see cref="ICrmStore"/>
/// (it passes the storage conformance suite) but keeps nothing across restarts. Use the SQLite store for real data.
/// Thread-safe: every operation takes one lock.
/// </summary>
public sealed class InMemoryCrmStore : ICrmStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Tenant, string Kind, string Id), Doc> _documents = new();
    private readonly Dictionary<(string Tenant, string Scope, string Key), string> _keys = new();
    private readonly Dictionary<string, List<JournalRecord>> _journal = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Id), TimerRow> _timers = new();
    private readonly Dictionary<(string Tenant, string Consumer), (string Owner, Instant Until)> _consumerLeases = new();

    /// <inheritdoc />
    public ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult(_documents.TryGetValue((tenant.Value, kind, id), out var doc) ? doc.Document : null);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<StoredDocument> found;
        lock (_gate)
        {
            found = _documents
                .Where(p => p.Key.Tenant == tenant.Value && p.Key.Kind == kind && (index is not { } i || p.Value.Indexes.Contains(i)))
                .Select(p => p.Value.Document)
                .OrderBy(d => d.Id, StringComparer.Ordinal)
                .ToList();
        }

        foreach (var document in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return document;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_keys.TryGetValue((tenant.Value, scope, key), out var owner) ? owner : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        cancellationToken.ThrowIfCancellationRequested();
        var tenant = commit.Tenant.Value;
        lock (_gate)
        {
            // Check everything first, then apply: a failing commit changes nothing.
            foreach (var write in commit.Documents)
            {
                var actual = _documents.TryGetValue((tenant, write.Kind, write.Id), out var existing) ? existing.Document.Version : 0;
                if (actual != write.ExpectedVersion)
                {
                    throw new ConcurrencyConflictException(write.Kind, write.Id, write.ExpectedVersion, actual);
                }
            }

            foreach (var check in commit.ReadChecks)
            {
                var actual = _documents.TryGetValue((tenant, check.Kind, check.Id), out var existing) ? existing.Document.Version : 0;
                if (actual != check.Version)
                {
                    throw new ConcurrencyConflictException(check.Kind, check.Id, check.Version, actual);
                }
            }

            var keys = new Dictionary<(string, string, string), string?>();
            foreach (var change in commit.UniqueKeys)
            {
                var key = (tenant, change.Scope, change.Key);
                var holder = keys.TryGetValue(key, out var pending) ? pending : _keys.GetValueOrDefault(key);
                if (change.Release)
                {
                    if (holder == change.OwnerId)
                    {
                        keys[key] = null;
                    }
                }
                else if (holder is not null && holder != change.OwnerId)
                {
                    throw new DuplicateKeyException(change.Scope, change.Key, holder);
                }
                else
                {
                    keys[key] = change.OwnerId;
                }
            }

            foreach (var completion in commit.TimersCompleted)
            {
                if (!_timers.TryGetValue((tenant, completion.TimerId), out var row) || row.ClaimToken != completion.ClaimToken)
                {
                    throw new ConcurrencyConflictException("timer", completion.TimerId, 1, row is null ? 0 : 2);
                }
            }

            foreach (var write in commit.Documents)
            {
                _documents[(tenant, write.Kind, write.Id)] = new Doc(
                    new StoredDocument(write.Kind, write.Id, write.ExpectedVersion + 1, write.Json),
                    write.Indexes.ToHashSet());
            }

            foreach (var (key, owner) in keys)
            {
                if (owner is null)
                {
                    _keys.Remove(key);
                }
                else
                {
                    _keys[key] = owner;
                }
            }

            foreach (var completion in commit.TimersCompleted)
            {
                _timers.Remove((tenant, completion.TimerId));
            }

            foreach (var id in commit.TimersToCancel)
            {
                _timers.Remove((tenant, id));
            }

            foreach (var timer in commit.TimersToSet)
            {
                if (timer.Tenant != commit.Tenant)
                {
                    throw new ArgumentException($"Timer '{timer.Id}' belongs to tenant '{timer.Tenant}', not to the commit's tenant '{commit.Tenant}'.", nameof(commit));
                }

                _timers[(tenant, timer.Id)] = new TimerRow(timer);
            }

            if (commit.Events.Count == 0)
            {
                return ValueTask.FromResult(default(CommitResult));
            }

            if (!_journal.TryGetValue(tenant, out var journal))
            {
                _journal[tenant] = journal = new List<JournalRecord>();
            }

            var first = journal.Count + 1;
            foreach (var appended in commit.Events)
            {
                journal.Add(new JournalRecord(journal.Count + 1, commit.Tenant, commit.CommitId, commit.RecordedAt, appended));
            }

            return ValueTask.FromResult(new CommitResult(first, journal.Count));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        List<JournalRecord> page;
        lock (_gate)
        {
            page = _journal.TryGetValue(tenant.Value, out var journal) && afterPosition < journal.Count
                ? journal.GetRange((int)afterPosition, (int)Math.Min(maxCount, journal.Count - afterPosition))
                : [];
        }

        foreach (var record in page)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        lock (_gate)
        {
            var claimed = _timers.Values
                .Where(t => t.Timer.DueAt <= now && (t.LeaseUntil is null || t.LeaseUntil <= now))
                .OrderBy(t => t.Timer.DueAt).ThenBy(t => t.Timer.Tenant.Value, StringComparer.Ordinal).ThenBy(t => t.Timer.Id, StringComparer.Ordinal)
                .Take(maxCount)
                .ToList();
            var result = new List<ClaimedTimer>(claimed.Count);
            foreach (var row in claimed)
            {
                row.ClaimToken = Guid.NewGuid().ToString("N");
                row.LeaseUntil = now + lease;
                row.Attempts++;
                result.Add(new ClaimedTimer(row.Timer, row.ClaimToken, row.LeaseUntil.Value, row.Attempts));
            }

            return ValueTask.FromResult<IReadOnlyList<ClaimedTimer>>(result);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<ScheduledTimer> timers;
        lock (_gate)
        {
            timers = _timers.Values.Where(t => t.Timer.Tenant == tenant).Select(t => t.Timer)
                .OrderBy(t => t.DueAt).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();
        }

        foreach (var timer in timers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return timer;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var key = (tenant.Value, consumer);
            if (_consumerLeases.TryGetValue(key, out var held) && held.Owner != owner && held.Until > now)
            {
                return ValueTask.FromResult(false);
            }

            _consumerLeases[key] = (owner, now + lease);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        lock (_gate)
        {
            var key = (tenant.Value, consumer);
            if (_consumerLeases.TryGetValue(key, out var held) && held.Owner == owner)
            {
                _consumerLeases.Remove(key);
            }
        }

        return ValueTask.CompletedTask;
    }

    private sealed record Doc(StoredDocument Document, HashSet<IndexEntry> Indexes);

    private sealed class TimerRow(ScheduledTimer timer)
    {
        public ScheduledTimer Timer { get; } = timer;
        public string? ClaimToken { get; set; }
        public Instant? LeaseUntil { get; set; }
        public int Attempts { get; set; }
    }
}

/// <summary>Registers <see cref="InMemoryCrmStore"/>.</summary>
public static class InMemoryStoreExtensions
{
    /// <summary>
    /// Uses an in-memory store (a test double: nothing survives a restart). The last <c>UseXxx</c> store call wins;
    /// calling it twice registers once.
    /// </summary>
    public static TBuilder UseInMemoryStore<TBuilder>(this TBuilder builder)
        where TBuilder : ICrmKernelBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<ICrmStore>();
        builder.Services.AddSingleton<ICrmStore, InMemoryCrmStore>();
        return builder;
    }
}
