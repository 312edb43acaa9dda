using Crm.Abstractions;
using Microsoft.Data.Sqlite;

namespace Crm.Storage.Sqlite;

/// <summary>
/// The store's write side: the one writer connection, on a thread of its own, that takes requests from the
/// <see cref="WriterQueue"/> and folds them into one transaction (group commit) in which a conflicting request fails
/// alone. What each request writes is in <c>SqliteWriter.Apply.cs</c>.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private const int MaxKnownVersions = 10_000;
    private static readonly Dictionary<(string, string, string), long> EmptyVersions = new();
    private readonly SqliteStoreOptions _options;
    private readonly SqliteConnection _connection;
    private readonly WriterCommands _commands;
    private readonly WriterQueue _queue;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Writer thread only: whether the request being applied has executed a statement that changed rows.</summary>
    private bool _wrote;

    /// <summary>Writer thread only, as committed: each tenant's number (the high bits of its journal keys) and journal head.</summary>
    private readonly Dictionary<string, JournalHead> _journalHeads = new(StringComparer.Ordinal);

    /// <summary>
    /// Writer thread only, as committed: document versions the writer has read or written, so a read check of one of them
    /// needs no lookup. Valid while no other connection writes the file (<c>PRAGMA data_version</c>, checked per batch).
    /// </summary>
    private readonly Dictionary<(string, string, string), long> _knownVersions = new();

    private long _dataVersion = -1;

    /// <summary>Opens the writer connection, brings the schema up to date and starts the writer thread.</summary>
    public SqliteWriter(SqliteStoreOptions options, string connectionString)
    {
        _options = options;
        _queue = new WriterQueue(options.WriterSpin);
        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL;");
            Execute($"PRAGMA synchronous={options.Synchronous.ToString().ToUpperInvariant()};");
            Execute($"PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds};");
            SqliteMigrations.Migrate(_connection);
            _commands = new WriterCommands(_connection);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        // A thread of its own, not a pool thread: the writer blocks in SQLite (the fsync of every commit) and wakes
        // directly when a request arrives instead of waiting for a pool thread to pick up its continuation.
        new Thread(WriteLoop) { IsBackground = true, Name = "Crm.Storage.Sqlite writer" }.Start();
    }

    /// <summary>The database file.</summary>
    public string DataSource => _connection.DataSource;

    /// <summary>
    /// Queues a request and returns its outcome. Cancelling <paramref name="cancellationToken"/> while the request is
    /// still queued fails it with <see cref="OperationCanceledException"/> and nothing of it is written; once the writer
    /// has taken it, it runs to its outcome.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store is being disposed.</exception>
    public Task<T> SubmitAsync<T>(WriteRequest<T> request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        request.WatchCancellation(cancellationToken);
        if (!_queue.TryWrite(request))
        {
            request.StopWatching();
            throw new ObjectDisposedException(typeof(SqliteCrmStore).FullName);
        }

        return request.Completion.Task;
    }

    /// <summary>Refuses new requests, lets the writer finish those queued, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Complete();
        await _done.Task.ConfigureAwait(false);
        _commands.Dispose();
        SqliteConnection.ClearPool(_connection);
        await _connection.DisposeAsync().ConfigureAwait(false);
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

        _done.TrySetResult();
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

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
