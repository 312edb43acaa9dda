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
public sealed class SqliteCrmStore : ICrmStore, IAsyncDisposable, IDisposable
{
    private const int SchemaVersion = 3;

    /// <summary>
    /// A journal row's key is the tenant's number in the high bits and the position in the tenant's journal in the low
    /// <see cref="PositionBits"/> bits: one rowid b-tree, appended at the end of the tenant's range, with no second index
    /// to keep for reading a tenant's journal in order.
    /// </summary>
    private const int PositionBits = 40;
    private const long MaxPosition = (1L << PositionBits) - 1;
    private readonly SqliteStoreOptions _options;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly WriterCommands _commands;

    /// <summary>Writer thread only: whether the request being applied has executed a statement that changed rows.</summary>
    private bool _wrote;
    private readonly WriteQueue _queue;
    /// <summary>Writer thread only, as committed: each tenant's number (the high bits of its journal keys) and journal head.</summary>
    private readonly Dictionary<string, JournalHead> _journalHeads = new(StringComparer.Ordinal);

    /// <summary>
    /// Writer thread only, as committed: document versions the writer has read or written, so a read check of one of them
    /// needs no lookup. Valid while no other connection writes the file (<c>PRAGMA data_version</c>, checked per batch).
    /// </summary>
    private readonly Dictionary<(string, string, string), long> _knownVersions = new();
    private long _dataVersion = -1;
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentBag<ReadConnection> _readers = new();
    private int _disposed;

    /// <summary>Opens (and if needed creates) the database file and starts the writer.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public SqliteCrmStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _queue = new WriteQueue(options.WriterSpin);
        // Microsoft.Data.Sqlite retries a busy statement until its command timeout: bound that retry by the same wait.
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        _readConnectionString = new SqliteConnectionStringBuilder(builder.ConnectionString) { Mode = SqliteOpenMode.ReadOnly }.ConnectionString;
        _writer = new SqliteConnection(builder.ConnectionString);
        _writer.Open();
        Execute(_writer, "PRAGMA journal_mode=WAL;");
        Execute(_writer, $"PRAGMA synchronous={options.Synchronous.ToString().ToUpperInvariant()};");
        Execute(_writer, $"PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds};");
        Migrate(_writer);
        _commands = new WriterCommands(_writer);
        // A thread of its own, not a pool thread: the writer blocks in SQLite (the fsync of every commit) and wakes
        // directly when a request arrives instead of waiting for a pool thread to pick up its continuation.
        new Thread(WriteLoop) { IsBackground = true, Name = "Crm.Storage.Sqlite writer" }.Start();
    }

    /// <summary>The database file.</summary>
    public string DataSource => _writer.DataSource;

    /// <inheritdoc />
    public async ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        // The hot read of every command: a statement prepared once per read connection, executed synchronously
        // (Microsoft.Data.Sqlite's async calls run synchronously anyway).
        var command = connection.Read.Load;
        command.Parameters[0].Value = tenant.Value;
        command.Parameters[1].Value = kind;
        command.Parameters[2].Value = id;
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredDocument(kind, id, reader.GetInt64(0), reader.GetString(1)) : null;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("$t", tenant.Value);
        command.Parameters.AddWithValue("$k", kind);
        if (index is { } entry)
        {
            command.CommandText = """
                SELECT d.id, d.version, d.json FROM document_index i
                JOIN documents d ON d.tenant = i.tenant AND d.kind = i.kind AND d.id = i.id
                WHERE i.tenant=$t AND i.kind=$k AND i.name=$n AND i.value=$v ORDER BY i.id
                """;
            command.Parameters.AddWithValue("$n", entry.Name);
            command.Parameters.AddWithValue("$v", entry.Value);
        }
        else
        {
            command.CommandText = "SELECT id, version, json FROM documents WHERE tenant=$t AND kind=$k ORDER BY id";
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredDocument(kind, reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
        }
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var command = connection.Read.KeyOwner;
        command.Parameters[0].Value = tenant.Value;
        command.Parameters[1].Value = scope;
        command.Parameters[2].Value = key;
        return command.ExecuteScalar() as string;
    }

    /// <inheritdoc />
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

        var request = new CommitRequest(commit);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        if (afterPosition >= MaxPosition)
        {
            yield break;
        }

        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT j.id, j.commit_id, j.recorded_at, j.event_id, j.stream_kind, j.stream_id, j.event_type, j.payload, j.occurred_at, j.actor, j.cause_kind, j.cause_ref, j.cause_text
            FROM tenants t JOIN journal j ON j.id > ((t.no << {PositionBits}) | $p) AND j.id <= ((t.no << {PositionBits}) | $max)
            WHERE t.name = $t ORDER BY j.id LIMIT $n
            """;
        command.Parameters.AddWithValue("$t", tenant.Value);
        command.Parameters.AddWithValue("$p", afterPosition);
        command.Parameters.AddWithValue("$max", MaxPosition);
        command.Parameters.AddWithValue("$n", maxCount);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var id = new byte[16];
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            reader.GetBytes(3, 0, id, 0, 16);
            var appended = new JournalAppend(
                new Guid(id, bigEndian: true),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetString(7),
                Instant.FromUnixTimeTicks(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                new Cause((CauseKind)reader.GetInt32(10), reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12)));
            reader.GetBytes(1, 0, id, 0, 16);
            yield return new JournalRecord(reader.GetInt64(0) & MaxPosition, tenant, new Guid(id, bigEndian: true), Instant.FromUnixTimeTicks(reader.GetInt64(2)), appended);
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

        var request = new ClaimRequest(now, lease, maxCount);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.ConfigureAwait(false);
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

        var request = new ConsumerLeaseRequest(tenant, consumer, owner, now, now + lease);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var request = new ConsumerLeaseRequest(tenant, consumer, owner, null, null);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        await request.Completion.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, due_at, kind, payload FROM timers WHERE tenant=$t ORDER BY due_at, id";
        command.Parameters.AddWithValue("$t", tenant.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ScheduledTimer(reader.GetString(0), tenant, Instant.FromUnixTimeTicks(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3));
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
        var destination = Path.GetFullPath(destinationPath);
        if (destination == Path.GetFullPath(DataSource))
        {
            throw new ArgumentException("The backup must go to another file than the live database.", nameof(destinationPath));
        }

        var folder = Path.GetDirectoryName(destination) ?? ".";
        var temporary = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = await OpenReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ConnectionString);
                await copy.OpenAsync(cancellationToken).ConfigureAwait(false);
                source.BackupDatabase(copy);
                // WAL like the live file (the mode is kept in the file's header); the copy's WAL is folded back into it
                // and removed when this, its only connection, closes.
                Execute(copy, "PRAGMA journal_mode=WAL;");
            }

            SqliteFiles.FlushFile(temporary);
            // A WAL or journal left beside the destination belongs to the file being replaced: applied to the new one
            // it would corrupt it.
            foreach (var suffix in SqliteFiles.CompanionSuffixes)
            {
                File.Delete(destination + suffix);
            }

            File.Move(temporary, destination, overwrite: true);
            SqliteFiles.FlushFolder(folder);
        }
        catch
        {
            foreach (var path in new[] { temporary, temporary + "-journal", temporary + "-wal", temporary + "-shm" })
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                    // Best effort: the backup's own failure is what the caller needs to see.
                }
            }

            throw;
        }
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
        var full = Path.GetFullPath(path);
        SqliteFiles.CheckHeader(full);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            var problems = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read() && problems.Count < 5)
                {
                    problems.Add(reader.GetString(0));
                }
            }

            if (problems is not ["ok"])
            {
                throw new SqliteBackupException(full, "fails SQLite's integrity check: " + string.Join("; ", problems));
            }

            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN ('documents','journal','timers','tenants')";
            var tables = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version < 1 || tables == 0)
            {
                throw new SqliteBackupException(full, "is an empty database: it holds no CRM store (no schema), as a backup interrupted before its first page was written does");
            }

            if (version > SchemaVersion)
            {
                throw new SqliteBackupException(full, $"has schema version {version}, newer than this store's {SchemaVersion}; restore it with a newer Crm.Storage.Sqlite");
            }

            if (version == SchemaVersion && tables < 4)
            {
                throw new SqliteBackupException(full, $"lacks tables of schema version {version} (found {tables} of documents, journal, timers, tenants)");
            }
        }
        catch (SqliteException e)
        {
            throw new SqliteBackupException(full, $"cannot be read as a SQLite database ({e.Message})", e);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Complete();
        await _writerDone.Task.ConfigureAwait(false);
        _commands.Dispose();
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        SqliteConnection.ClearPool(_writer);
        await _writer.DisposeAsync().ConfigureAwait(false);
        using var pooled = new SqliteConnection(_readConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async ValueTask EnqueueAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_queue.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(SqliteCrmStore));
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private async ValueTask<ReaderLease> OpenReaderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        // Open read connections are kept and reused: opening one per read costs more than the read itself.
        if (!_readers.TryTake(out var read))
        {
            var connection = new SqliteConnection(_readConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            read = new ReadConnection(connection);
        }

        return new ReaderLease(this, read);
    }

    /// <summary>A pooled read connection with its prepared point reads (a statement is prepared once, not per read).</summary>
    private sealed class ReadConnection(SqliteConnection connection) : IDisposable
    {
        private SqliteCommand? _load;
        private SqliteCommand? _keyOwner;

        public SqliteConnection Connection { get; } = connection;

        public SqliteCommand Load => _load ??= Prepare("SELECT version, json FROM documents WHERE tenant=$p0 AND kind=$p1 AND id=$p2", 3);

        public SqliteCommand KeyOwner => _keyOwner ??= Prepare("SELECT owner_id FROM unique_keys WHERE tenant=$p0 AND scope=$p1 AND key=$p2", 3);

        public void Dispose()
        {
            _load?.Dispose();
            _keyOwner?.Dispose();
            Connection.Dispose();
        }

        private SqliteCommand Prepare(string sql, int parameters)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < parameters; i++)
            {
                command.Parameters.Add(new SqliteParameter("$p" + i, SqliteType.Text));
            }

            command.Prepare();
            return command;
        }
    }

    /// <summary>A borrowed read connection, returned to the pool on dispose (closed when the store is disposed).</summary>
    private sealed class ReaderLease(SqliteCrmStore store, ReadConnection read) : IAsyncDisposable
    {
        public ReadConnection Read { get; } = read;

        public SqliteConnection Connection => Read.Connection;

        public SqliteCommand CreateCommand() => Connection.CreateCommand();

        public void BackupDatabase(SqliteConnection destination) => Connection.BackupDatabase(destination);

        public ValueTask DisposeAsync()
        {
            if (Volatile.Read(ref store._disposed) == 1 || store._readers.Count >= 16)
            {
                Read.Dispose();
                return ValueTask.CompletedTask;
            }

            store._readers.Add(Read);
            return ValueTask.CompletedTask;
        }
    }

    private void WriteLoop()
    {
        var batch = new List<WriteRequest>(_options.MaxGroupCommitSize);
        var single = false;
        while (_queue.WaitAndTake(batch, _options.MaxGroupCommitSize, spin: single))
        {
            try
            {
                WriteBatch(batch);
            }
            catch (Exception e)
            {
                // Not expected (WriteBatch reports its failures to the requests), but the writer must live on.
                FailBatch(batch, e);
            }

            single = batch.Count == 1; // (with the requests gathered while its transaction was open)
            batch.Clear();
        }

        _writerDone.TrySetResult();
    }

    /// <summary>
    /// Writes a batch in one transaction, each request failing alone. First without savepoints: a commit that fails
    /// before it wrote anything (a stale read check or version, a duplicate key found before any write: the usual
    /// failures) is simply left out. Only when a request fails after it has written rows does the transaction roll back
    /// and the whole batch run again with a savepoint per request.
    /// </summary>
    private void WriteBatch(List<WriteRequest> batch)
    {
        if (!TryWriteBatch(batch, savepoints: false))
        {
            TryWriteBatch(batch, savepoints: true);
        }
    }

    /// <summary>False when, without savepoints, a request failed after writing: nothing was committed or completed.</summary>
    private bool TryWriteBatch(List<WriteRequest> batch, bool savepoints)
    {
        Dictionary<string, JournalHead> heads;
        var checkedVersions = new Dictionary<(string, string, string), long>();
        var known = _knownVersions;
        var open = false;
        try
        {
            // BEGIN and COMMIT as statements prepared once (a SqliteTransaction prepares them again for every batch).
            // BEGIN IMMEDIATE takes the file's write lock (waiting for another process's writer up to the busy timeout),
            // so nobody else commits between the check below and this transaction's COMMIT.
            _commands.Begin.ExecuteNonQuery();
            open = true;
            var dataVersion = _commands.DataVersion.ExecuteScalar() is long v ? v : -1;
            if (dataVersion != _dataVersion)
            {
                // Another connection (another process, another store on the file) committed: everything the writer
                // remembered may be stale, the journal heads (its appends would reuse positions taken) as much as the
                // documents' versions. Both are read again as needed, inside this transaction, under the write lock.
                _knownVersions.Clear();
                _journalHeads.Clear();
                _dataVersion = dataVersion;
            }
            else if (_knownVersions.Count > MaxKnownVersions)
            {
                _knownVersions.Clear();
            }

            heads = new Dictionary<string, JournalHead>(_journalHeads, StringComparer.Ordinal);

            for (var i = 0; i < batch.Count || (!savepoints && Gather(batch)); i++)
            {
                var savedHeads = savepoints ? new Dictionary<string, JournalHead>(heads, StringComparer.Ordinal) : heads;
                if (savepoints)
                {
                    _commands.Savepoint.ExecuteNonQuery();
                }

                _wrote = false;
                try
                {
                    switch (batch[i])
                    {
                        case CommitRequest c:
                            c.Succeed(Apply(c.Commit, heads, checkedVersions, known));
                            break;
                        case ClaimRequest c:
                            c.Succeed(Claim(c));
                            break;
                        case ConsumerLeaseRequest c:
                            c.Succeed(ClaimOrReleaseConsumer(c));
                            break;
                        default:
                            throw new InvalidOperationException("unknown request");
                    }

                    if (savepoints)
                    {
                        _commands.Release.ExecuteNonQuery();
                    }
                }
                catch (Exception e) when (e is CrmException or ArgumentException or SqliteException)
                {
                    if (savepoints)
                    {
                        _commands.RollbackToSavepoint.ExecuteNonQuery();
                        _commands.Release.ExecuteNonQuery();
                        heads = savedHeads;
                        checkedVersions.Clear(); // the rolled-back writes may have moved remembered versions
                        known = EmptyVersions; // and the batch's earlier writes moved some of those known before it
                    }
                    else if (_wrote || batch[i] is not CommitRequest)
                    {
                        // Its rows cannot be taken back alone: start over with savepoints.
                        open = false;
                        _commands.Rollback.ExecuteNonQuery();
                        return false;
                    }

                    // (Without savepoints and nothing written: a failed statement changed nothing, and Apply updates the
                    // journal heads only once it succeeded; the remembered versions are versions read, still true.)
                    batch[i].Failed(e);
                }
            }

            _commands.Commit.ExecuteNonQuery();
            open = false;
        }
        catch (Exception e)
        {
            // The transaction as a whole failed (I/O, disk full): nobody's commit happened.
            if (open)
            {
                try
                {
                    _commands.Rollback.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    // SQLite already rolled it back (as it does after some I/O errors).
                }
            }

            // Another process held the file's write lock for longer than the bounded wait: say so in a typed error.
            FailBatch(batch, e is SqliteException { SqliteErrorCode: 5 or 6 } busy ? new SqliteStoreBusyException(DataSource, _options.BusyTimeout, busy) : e);
            return true;
        }

        foreach (var (tenant, head) in heads)
        {
            _journalHeads[tenant] = head;
        }

        if (known != _knownVersions)
        {
            _knownVersions.Clear();
        }

        foreach (var (key, version) in checkedVersions)
        {
            _knownVersions[key] = version;
        }

        foreach (var request in batch)
        {
            request.Complete();
        }

        return true;
    }

    /// <summary>
    /// Takes a request that arrived while the open batch was being written into the same transaction (up to the group
    /// size), so that commits arriving one by one still share a commit instead of waiting for the next.
    /// </summary>
    private bool Gather(List<WriteRequest> batch)
    {
        if (batch.Count >= _options.MaxGroupCommitSize || !_queue.TryTake(out var request))
        {
            return false;
        }

        batch.Add(request);
        return true;
    }

    /// <summary>Nobody's commit in the batch happened: forget what the writer remembered and fail every request.</summary>
    private void FailBatch(List<WriteRequest> batch, Exception error)
    {
        _journalHeads.Clear();
        _knownVersions.Clear();
        foreach (var request in batch)
        {
            request.Fail(error);
        }
    }

    private const int MaxKnownVersions = 10_000;
    private static readonly Dictionary<(string, string, string), long> EmptyVersions = new();

    private CommitResult Apply(StoreCommit commit, Dictionary<string, JournalHead> heads, Dictionary<(string, string, string), long> checkedVersions,
        Dictionary<(string, string, string), long> known)
    {
        var c = _commands;
        var tenant = commit.Tenant.Value;
        // Index loops throughout: the lists are interfaces, and a foreach over one allocates an enumerator each time.
        for (var n = 0; n < commit.ReadChecks.Count; n++)
        {
            var check = commit.ReadChecks[n];
            // Commits of one batch often depend on the same documents (the session's user, the rule book): each is read
            // once per batch; the batch's own writes keep the remembered versions current.
            var key = (tenant, check.Kind, check.Id);
            if (!checkedVersions.TryGetValue(key, out var actual) && !known.TryGetValue(key, out actual))
            {
                c.DocumentVersion.Set(tenant, check.Kind, check.Id);
                actual = c.DocumentVersion.ExecuteScalar() is long v ? v : 0;
                checkedVersions[key] = actual;
            }

            if (actual != check.Version)
            {
                throw new ConcurrencyConflictException(check.Kind, check.Id, check.Version, actual);
            }
        }

        for (var n = 0; n < commit.Documents.Count; n++)
        {
            var write = commit.Documents[n];
            int changed;
            if (write.ExpectedVersion == 0)
            {
                c.InsertDocument.Set(tenant, write.Kind, write.Id, 1L, write.Json);
                changed = c.InsertDocument.ExecuteNonQuery();
            }
            else
            {
                var update = c.UpdateDocument;
                update.Text(0, tenant);
                update.Text(1, write.Kind);
                update.Text(2, write.Id);
                update.Number(3, write.ExpectedVersion);
                update.Text(4, write.Json);
                changed = update.Execute();
            }

            if (changed == 0)
            {
                c.DocumentVersion.Set(tenant, write.Kind, write.Id);
                var actual = c.DocumentVersion.ExecuteScalar() is long v ? v : 0;
                throw new ConcurrencyConflictException(write.Kind, write.Id, write.ExpectedVersion, actual);
            }

            _wrote = true;
            checkedVersions[(tenant, write.Kind, write.Id)] = write.ExpectedVersion + 1;

            if (write.ExpectedVersion != 0)
            {
                if (!write.IndexesChanged)
                {
                    continue;
                }

                c.DeleteIndex.Set(tenant, write.Kind, write.Id);
                c.DeleteIndex.ExecuteNonQuery();
            }

            for (var m = 0; m < write.Indexes.Count; m++)
            {
                var entry = write.Indexes[m];
                c.InsertIndex.Set(tenant, write.Kind, entry.Name, entry.Value, write.Id);
                c.InsertIndex.ExecuteNonQuery();
            }
        }

        for (var n = 0; n < commit.UniqueKeys.Count; n++)
        {
            var change = commit.UniqueKeys[n];
            c.KeyOwner.Set(tenant, change.Scope, change.Key);
            var holder = c.KeyOwner.ExecuteScalar() as string;
            if (change.Release)
            {
                if (holder == change.OwnerId)
                {
                    c.DeleteKey.Set(tenant, change.Scope, change.Key);
                    c.DeleteKey.ExecuteNonQuery();
                    _wrote = true;
                }
            }
            else if (holder is null)
            {
                c.InsertKey.Set(tenant, change.Scope, change.Key, change.OwnerId);
                c.InsertKey.ExecuteNonQuery();
                _wrote = true;
            }
            else if (holder != change.OwnerId)
            {
                throw new DuplicateKeyException(change.Scope, change.Key, holder);
            }
        }

        for (var n = 0; n < commit.TimersCompleted.Count; n++)
        {
            var completion = commit.TimersCompleted[n];
            c.CompleteTimer.Set(tenant, completion.TimerId, completion.ClaimToken);
            if (c.CompleteTimer.ExecuteNonQuery() == 0)
            {
                throw new ConcurrencyConflictException("timer", completion.TimerId, 1, 0);
            }

            _wrote = true;
        }

        for (var n = 0; n < commit.TimersToCancel.Count; n++)
        {
            var id = commit.TimersToCancel[n];
            c.DeleteTimer.Set(tenant, id);
            c.DeleteTimer.ExecuteNonQuery();
            _wrote = true;
        }

        for (var n = 0; n < commit.TimersToSet.Count; n++)
        {
            var timer = commit.TimersToSet[n];
            c.UpsertTimer.Set(tenant, timer.Id, timer.DueAt.ToUnixTimeTicks(), timer.Kind, timer.Payload);
            c.UpsertTimer.ExecuteNonQuery();
            _wrote = true;
        }

        if (commit.Events.Count == 0)
        {
            return default;
        }

        if (!heads.TryGetValue(tenant, out var journal))
        {
            journal = ReadJournalHead(tenant);
        }

        var head = journal.Head;
        var first = head + 1;
        if (head + commit.Events.Count > MaxPosition)
        {
            throw new InvalidOperationException($"Tenant '{tenant}' has reached the journal's last position ({MaxPosition}).");
        }

        var commitId = commit.CommitId.ToByteArray(bigEndian: true);
        Span<byte> eventId = stackalloc byte[16];
        var recordedAt = commit.RecordedAt.ToUnixTimeTicks();
        for (var n = 0; n < commit.Events.Count; n++)
        {
            var e = commit.Events[n];
            head++;
            var insert = c.InsertJournal;
            insert.Number(0, (journal.Number << PositionBits) | head);
            insert.Blob(1, commitId);
            insert.Number(2, recordedAt);
            e.EventId.TryWriteBytes(eventId, bigEndian: true, out _);
            insert.Blob(3, eventId);
            insert.Text(4, e.StreamKind);
            insert.Text(5, e.StreamId);
            insert.Text(6, e.EventType);
            insert.Text(7, e.Payload);
            insert.Number(8, e.OccurredAt.ToUnixTimeTicks());
            insert.Text(9, e.Actor);
            insert.Number(10, (int)e.Cause.Kind);
            insert.Text(11, e.Cause.Reference);
            insert.Text(12, e.Cause.Description);
            insert.Execute();
            _wrote = true;
        }

        heads[tenant] = journal with { Head = head };
        return new CommitResult(first, head);
    }

    /// <summary>The tenant's number and journal head as stored; a tenant's first events give it a number.</summary>
    private JournalHead ReadJournalHead(string tenant)
    {
        var c = _commands;
        c.TenantNumber.Set(tenant);
        if (c.TenantNumber.ExecuteScalar() is not long number)
        {
            c.InsertTenant.Set(tenant);
            number = c.InsertTenant.ExecuteScalar() is long n ? n : throw new InvalidOperationException($"Could not number tenant '{tenant}'.");
            _wrote = true;
            return new JournalHead(number, 0);
        }

        c.JournalHead.Set(number << PositionBits, (number << PositionBits) | MaxPosition);
        var last = c.JournalHead.ExecuteScalar() is long key ? key & MaxPosition : 0;
        return new JournalHead(number, last);
    }

    /// <summary>A tenant's number (the high bits of its journal keys) and the last position of its journal.</summary>
    private readonly record struct JournalHead(long Number, long Head);

    private IReadOnlyList<ClaimedTimer> Claim(ClaimRequest request)
    {
        var c = _commands;
        var now = request.Now.ToUnixTimeTicks();
        var due = new List<(string Tenant, string Id, long DueAt, string Kind, string Payload, long Attempts)>();
        c.DueTimers.Set(now, request.MaxCount);
        using (var reader = c.DueTimers.ExecuteReader())
        {
            while (reader.Read())
            {
                due.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
            }
        }

        var leaseUntil = request.Now + request.Lease;
        var claimed = new List<ClaimedTimer>(due.Count);
        foreach (var t in due)
        {
            var token = Guid.NewGuid().ToString("N");
            c.ClaimTimer.Set(t.Tenant, t.Id, token, leaseUntil.ToUnixTimeTicks());
            c.ClaimTimer.ExecuteNonQuery();
            claimed.Add(new ClaimedTimer(new ScheduledTimer(t.Id, new TenantId(t.Tenant), Instant.FromUnixTimeTicks(t.DueAt), t.Kind, t.Payload), token, leaseUntil, (int)t.Attempts + 1));
        }

        return claimed;
    }

    private bool ClaimOrReleaseConsumer(ConsumerLeaseRequest request)
    {
        using var command = _writer.CreateCommand();
        command.Parameters.AddWithValue("$t", request.Tenant.Value);
        command.Parameters.AddWithValue("$c", request.Consumer);
        command.Parameters.AddWithValue("$o", request.Owner);
        if (request.Now is not { } now || request.Until is not { } until)
        {
            command.CommandText = "DELETE FROM consumer_leases WHERE tenant=$t AND consumer=$c AND owner=$o";
            command.ExecuteNonQuery();
            return true;
        }

        command.CommandText = """
            INSERT INTO consumer_leases(tenant, consumer, owner, lease_until) VALUES($t, $c, $o, $u)
            ON CONFLICT(tenant, consumer) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
            WHERE consumer_leases.owner = excluded.owner OR consumer_leases.lease_until <= $n
            """;
        command.Parameters.AddWithValue("$u", until.ToUnixTimeTicks());
        command.Parameters.AddWithValue("$n", now.ToUnixTimeTicks());
        return command.ExecuteNonQuery() == 1;
    }

    private static void Migrate(SqliteConnection connection)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"The database '{connection.DataSource}' has schema version {version}, newer than this store's {SchemaVersion}; upgrade Crm.Storage.Sqlite.");
        }

        if (version < 1)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                CREATE TABLE documents(tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL,
                    PRIMARY KEY(tenant, kind, id)) WITHOUT ROWID;
                CREATE TABLE document_index(tenant TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL,
                    PRIMARY KEY(tenant, kind, name, value, id)) WITHOUT ROWID;
                CREATE INDEX ix_document_index_id ON document_index(tenant, kind, id);
                CREATE TABLE unique_keys(tenant TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL, owner_id TEXT NOT NULL,
                    PRIMARY KEY(tenant, scope, key)) WITHOUT ROWID;
                CREATE TABLE journal(tenant TEXT NOT NULL, position INTEGER NOT NULL, commit_id TEXT NOT NULL, recorded_at INTEGER NOT NULL,
                    event_id TEXT NOT NULL, stream_kind TEXT NOT NULL, stream_id TEXT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL,
                    occurred_at INTEGER NOT NULL, actor TEXT, cause_kind INTEGER NOT NULL, cause_ref TEXT, cause_text TEXT,
                    PRIMARY KEY(tenant, position)) WITHOUT ROWID;
                CREATE UNIQUE INDEX ux_journal_event ON journal(event_id);
                CREATE TABLE timers(tenant TEXT NOT NULL, id TEXT NOT NULL, due_at INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
                    claim_token TEXT, lease_until INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY(tenant, id)) WITHOUT ROWID;
                CREATE INDEX ix_timers_due ON timers(due_at, tenant, id);
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        if (version < 2)
        {
            // 2: journal consumers' leases (one host at a time works a consumer's pages).
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                CREATE TABLE consumer_leases(tenant TEXT NOT NULL, consumer TEXT NOT NULL, owner TEXT NOT NULL, lease_until INTEGER NOT NULL,
                    PRIMARY KEY(tenant, consumer)) WITHOUT ROWID;
                PRAGMA user_version = 2;
                """;
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        if (version < 3)
        {
            // 3: the journal keyed by (tenant number, position) packed in its rowid, with ids as 16-byte blobs; the
            // rows are copied over in journal order.
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                CREATE TABLE tenants(no INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                INSERT INTO tenants(name) SELECT DISTINCT tenant FROM journal ORDER BY tenant;
                CREATE TABLE journal_v3(id INTEGER PRIMARY KEY, commit_id BLOB NOT NULL, recorded_at INTEGER NOT NULL, event_id BLOB NOT NULL,
                    stream_kind TEXT NOT NULL, stream_id TEXT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL,
                    occurred_at INTEGER NOT NULL, actor TEXT, cause_kind INTEGER NOT NULL, cause_ref TEXT, cause_text TEXT);
                INSERT INTO journal_v3
                    SELECT (t.no << 40) | j.position, unhex(replace(j.commit_id, '-', '')), j.recorded_at, unhex(replace(j.event_id, '-', '')),
                        j.stream_kind, j.stream_id, j.event_type, j.payload, j.occurred_at, j.actor, j.cause_kind, j.cause_ref, j.cause_text
                    FROM journal j JOIN tenants t ON t.name = j.tenant ORDER BY j.tenant, j.position;
                DROP TABLE journal;
                ALTER TABLE journal_v3 RENAME TO journal;
                CREATE UNIQUE INDEX ux_journal_event ON journal(event_id);
                PRAGMA user_version = 3;
                """;
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The writer's queue: any thread adds without a lock, the writer thread takes, and waits on a monitor only when the
    /// queue is empty. A writer about to wait announces it before it looks at the queue once more, and a producer looks
    /// for that announcement after adding, so one of them always sees the other. Once completed, the queue refuses new
    /// requests; the writer drains what was added before and then stops.
    /// </summary>
    private sealed class WriteQueue(TimeSpan spin)
    {
        private readonly long _spinTicks = (long)(spin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        private readonly System.Collections.Concurrent.ConcurrentQueue<WriteRequest> _pending = new();
        private readonly object _gate = new();
        private int _waiting;
        private int _producers;
        private int _completed;
        private bool _closed;

        public bool TryWrite(WriteRequest request)
        {
            Interlocked.Increment(ref _producers);
            try
            {
                if (Volatile.Read(ref _completed) == 1)
                {
                    return false;
                }

                _pending.Enqueue(request);
            }
            finally
            {
                Interlocked.Decrement(ref _producers);
            }

            if (Volatile.Read(ref _waiting) == 1)
            {
                lock (_gate)
                {
                    Monitor.Pulse(_gate);
                }
            }

            return true;
        }

        public bool TryTake([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out WriteRequest request) => _pending.TryDequeue(out request);

        /// <summary>
        /// Waits for requests and takes up to <paramref name="max"/>; false once completed and drained. With
        /// <paramref name="spin"/>, watches for a while before sleeping (see <see cref="SpinForArrival"/>).
        /// </summary>
        public bool WaitAndTake(List<WriteRequest> batch, int max, bool spin)
        {
            if (spin)
            {
                SpinForArrival();
            }

            while (_pending.IsEmpty)
            {
                lock (_gate)
                {
                    Interlocked.Exchange(ref _waiting, 1);
                    if (_pending.IsEmpty)
                    {
                        if (_closed)
                        {
                            Interlocked.Exchange(ref _waiting, 0);
                            return false;
                        }

                        Monitor.Wait(_gate);
                    }

                    Interlocked.Exchange(ref _waiting, 0);
                }
            }

            while (batch.Count < max && _pending.TryDequeue(out var request))
            {
                batch.Add(request);
            }

            return true;
        }

        /// <summary>
        /// Before sleeping, watches the queue for a short while (yielding the core to any thread that wants it): a caller
        /// awaiting one commit at a time issues its next one a few tens of microseconds after the last completed, and
        /// catching it here saves waking a sleeping thread, which on a busy virtual machine can cost more than the write.
        /// The writer watches only after a group of one: after a larger group the callers are busy with that many
        /// completions, and the watching would only take a core from them.
        /// </summary>
        private void SpinForArrival()
        {
            if (_spinTicks == 0 || !_pending.IsEmpty || Volatile.Read(ref _completed) == 1)
            {
                return;
            }

            var until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
            var spin = default(SpinWait);
            while (_pending.IsEmpty && System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        /// <summary>Refuses new requests, waits for producers already adding, and lets the writer stop once drained.</summary>
        public void Complete()
        {
            Interlocked.Exchange(ref _completed, 1);
            var spin = default(SpinWait);
            while (Volatile.Read(ref _producers) != 0)
            {
                spin.SpinOnce();
            }

            lock (_gate)
            {
                _closed = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// A request to the writer. While its group is written it holds its outcome (<see cref="WriteRequest{T}.Succeed"/>
    /// or <see cref="Failed"/>, the last one set counting, as a group may run twice); <see cref="Complete"/> hands the
    /// outcome to the caller once the group's transaction has committed.
    /// </summary>
    private abstract class WriteRequest
    {
        private Exception? _error;

        /// <summary>Fails the caller now (nothing of the request was committed).</summary>
        public abstract void Fail(Exception error);

        /// <summary>Records that the request failed within its group, which goes on without it.</summary>
        public void Failed(Exception error) => _error = error;

        /// <summary>Hands the recorded outcome to the caller.</summary>
        public void Complete()
        {
            if (_error is { } error)
            {
                Fail(error);
            }
            else
            {
                Succeeded();
            }
        }

        protected void ClearError() => _error = null;

        protected abstract void Succeeded();
    }

    private abstract class WriteRequest<T> : WriteRequest
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Records the request's result within its group.</summary>
        public void Succeed(T result)
        {
            _result = result;
            ClearError();
        }

        public override void Fail(Exception error) => Completion.TrySetException(error);

        protected override void Succeeded() => Completion.TrySetResult(_result!);
    }

    private sealed class CommitRequest(StoreCommit commit) : WriteRequest<CommitResult>
    {
        public StoreCommit Commit { get; } = commit;
    }

    /// <summary>Claims a consumer's lease until <see cref="Until"/>, or releases it when <see cref="Now"/> is null.</summary>
    private sealed class ConsumerLeaseRequest(TenantId tenant, string consumer, string owner, Instant? now, Instant? until) : WriteRequest<bool>
    {
        public TenantId Tenant { get; } = tenant;
        public string Consumer { get; } = consumer;
        public string Owner { get; } = owner;
        public Instant? Now { get; } = now;
        public Instant? Until { get; } = until;
    }

    private sealed class ClaimRequest(Instant now, Duration lease, int maxCount) : WriteRequest<IReadOnlyList<ClaimedTimer>>
    {
        public Instant Now { get; } = now;
        public Duration Lease { get; } = lease;
        public int MaxCount { get; } = maxCount;
    }
}
