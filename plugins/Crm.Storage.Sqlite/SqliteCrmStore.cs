using System.Runtime.CompilerServices;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. All writes go through one writer connection on its own
/// thread that folds queued commits into one transaction (group commit), in which a conflicting commit fails alone.
/// Reads use their own pooled connections and never wait for the writer. Thread-safe.
/// </summary>
/// <remarks>
/// The entry point of the store; the work is done by internal types: <c>SqliteMigrations</c> (the schema, on open),
/// <c>SqliteWriter</c> with its <c>WriterQueue</c> (every write), <c>SqliteReads</c> (every read) and
/// <c>SqliteBackup</c> (online backup and its check).
/// </remarks>
public sealed class SqliteCrmStore : ICrmStore, IAsyncDisposable, IDisposable
{
    private readonly SqliteWriter _writer;
    private readonly SqliteReads _reads;
    private int _disposed;

    /// <summary>Opens (and if needed creates or migrates) the database file and starts the writer.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The file has a newer schema than this store knows.</exception>
    public SqliteCrmStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // Microsoft.Data.Sqlite retries a busy statement until its command timeout: bound that retry by the same wait.
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        _writer = new SqliteWriter(options, builder.ConnectionString);
        _reads = new SqliteReads(new SqliteConnectionStringBuilder(builder.ConnectionString) { Mode = SqliteOpenMode.ReadOnly }.ConnectionString);
    }

    /// <summary>The database file.</summary>
    public string DataSource => _writer.DataSource;

    /// <inheritdoc />
    public ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
    {
        return IsDisposed ? ValueTask.FromException<StoredDocument?>(Disposed()) : _reads.LoadAsync(tenant, kind, id, cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await foreach (var document in _reads.QueryAsync(tenant, kind, index, cancellationToken).ConfigureAwait(false))
        {
            yield return document;
        }
    }

    /// <inheritdoc />
    public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default)
    {
        return IsDisposed ? ValueTask.FromException<string?>(Disposed()) : _reads.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Cancelling while the commit is still queued for the writer fails it with
    /// <see cref="OperationCanceledException"/> and writes nothing of it; once the writer has taken it, it runs to its
    /// outcome.</remarks>
    public async ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        foreach (var timer in commit.TimersToSet)
        {
            if (timer.Tenant != commit.Tenant)
            {
                throw new ArgumentException($"Timer '{timer.Id}' belongs to tenant '{timer.Tenant}', not to the commit's tenant '{commit.Tenant}'.", nameof(commit));
            }
        }

        ThrowIfDisposed();
        return await _writer.SubmitAsync(new CommitRequest(commit), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ThrowIfDisposed();
        await foreach (var record in _reads.ReadJournalAsync(tenant, afterPosition, maxCount, cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        ThrowIfDisposed();
        return await _writer.SubmitAsync(new ClaimRequest(now, lease, maxCount), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Goes through the writer like a commit: one upsert that takes the lease row only when it is free, expired
    /// or already the owner's. Other processes on the same file serialize on SQLite's write lock.</remarks>
    public async ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        ThrowIfDisposed();
        return await _writer.SubmitAsync(new ConsumerLeaseRequest(tenant, consumer, owner, now, now + lease), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ThrowIfDisposed();
        await _writer.SubmitAsync(new ConsumerLeaseRequest(tenant, consumer, owner, null, null), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await foreach (var timer in _reads.ListTimersAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            yield return timer;
        }
    }

    /// <summary>
    /// Copies the live database to <paramref name="destinationPath"/> with SQLite's online backup, while the kernel keeps
    /// running. The copy is a consistent snapshot of committed data and opens as a normal store. It is written to a
    /// temporary file in the destination's folder, flushed to disk and then renamed over the destination, so a backup
    /// interrupted at any moment (a kill, a power loss) leaves the destination as it was: absent, or the previous
    /// complete backup. An interrupted backup may leave its temporary file (<c>.name.*.tmp</c>) behind; delete it.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty or is the live file.</exception>
    /// <exception cref="IOException">The destination's folder cannot be written.</exception>
    public async Task BackupAsync(string destinationPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationPath);
        ThrowIfDisposed();
        await SqliteBackup.BackupAsync(_reads, DataSource, destinationPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a complete backup of a store before it is restored: a non-empty SQLite
    /// file, as long as its header says, with no interrupted write beside it, passing SQLite's integrity check, and
    /// holding this store's schema. Opens the file read-only and changes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="SqliteBackupException">The file is missing, empty, truncated, not a database, damaged, or holds no
    /// store; the exception names the file and the problem.</exception>
    public static Task VerifyBackupAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SqliteBackup.Verify(path, cancellationToken);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _reads.Close();
        await _writer.DisposeAsync().ConfigureAwait(false);
        _reads.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    private ObjectDisposedException Disposed() => new(GetType().FullName);
}
