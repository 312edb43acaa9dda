using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite;

/// <summary>
/// The store's read side: documents, index queries, unique keys, the journal and the timer list, on pooled read-only
/// connections that never wait for the writer (WAL readers see the last committed state). Thread-safe.
/// </summary>
internal sealed class SqliteReads(string readConnectionString) : IDisposable
{
    /// <summary>Open read connections kept beyond this many are closed when returned.</summary>
    private const int MaxPooled = 16;
    private readonly ConcurrentBag<ReadConnection> _pool = new();
    private int _closed;

    public async ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // The hot read of every command: a statement prepared once per read connection, executed synchronously
        // (Microsoft.Data.Sqlite's async calls run synchronously anyway).
        var command = connection.Read.Load;
        command.Parameters[0].Value = tenant.Value;
        command.Parameters[1].Value = kind;
        command.Parameters[2].Value = id;
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredDocument(kind, id, reader.GetInt64(0), reader.GetString(1)) : null;
    }

    public async IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
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

    public async ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var command = connection.Read.KeyOwner;
        command.Parameters[0].Value = tenant.Value;
        command.Parameters[1].Value = scope;
        command.Parameters[2].Value = key;
        return command.ExecuteScalar() as string;
    }

    /// <summary>The tenant's journal after <paramref name="afterPosition"/> (arguments checked by the caller).</summary>
    public async IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (afterPosition >= JournalKey.MaxPosition)
        {
            yield break;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT j.id, j.commit_id, j.recorded_at, j.event_id, j.stream_kind, j.stream_id, j.event_type, j.payload, j.occurred_at, j.actor, j.cause_kind, j.cause_ref, j.cause_text
            FROM tenants t JOIN journal j ON j.id > ((t.no << {JournalKey.PositionBits}) | $p) AND j.id <= ((t.no << {JournalKey.PositionBits}) | $max)
            WHERE t.name = $t ORDER BY j.id LIMIT $n
            """;
        command.Parameters.AddWithValue("$t", tenant.Value);
        command.Parameters.AddWithValue("$p", afterPosition);
        command.Parameters.AddWithValue("$max", JournalKey.MaxPosition);
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
            yield return new JournalRecord(JournalKey.Position(reader.GetInt64(0)), tenant, new Guid(id, bigEndian: true), Instant.FromUnixTimeTicks(reader.GetInt64(2)), appended);
        }
    }

    public async IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, due_at, kind, payload FROM timers WHERE tenant=$t ORDER BY due_at, id";
        command.Parameters.AddWithValue("$t", tenant.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ScheduledTimer(reader.GetString(0), tenant, Instant.FromUnixTimeTicks(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3));
        }
    }

    /// <summary>Borrows a read connection (the online backup reads through one too).</summary>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public async ValueTask<ReaderLease> OpenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) == 1)
        {
            throw new ObjectDisposedException(typeof(SqliteCrmStore).FullName);
        }

        // Open read connections are kept and reused: opening one per read costs more than the read itself.
        if (!_pool.TryTake(out var read))
        {
            var connection = new SqliteConnection(readConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            read = new ReadConnection(connection);
        }

        return new ReaderLease(this, read);
    }

    /// <summary>Refuses new reads; connections returned from now on are closed.</summary>
    public void Close() => Volatile.Write(ref _closed, 1);

    /// <summary>Refuses new reads and closes the pooled connections.</summary>
    public void Dispose()
    {
        Close();
        while (_pool.TryTake(out var reader))
        {
            reader.Dispose();
        }

        using var pooled = new SqliteConnection(readConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    /// <summary>A pooled read connection with its prepared point reads (a statement is prepared once, not per read).</summary>
    internal sealed class ReadConnection(SqliteConnection connection) : IDisposable
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

    /// <summary>A borrowed read connection, returned to the pool on dispose (closed once the store is disposed).</summary>
    internal sealed class ReaderLease(SqliteReads reads, ReadConnection read) : IAsyncDisposable
    {
        public ReadConnection Read { get; } = read;

        public SqliteConnection Connection => Read.Connection;

        public SqliteCommand CreateCommand() => Connection.CreateCommand();

        public ValueTask DisposeAsync()
        {
            if (Volatile.Read(ref reads._closed) == 1 || reads._pool.Count >= MaxPooled)
            {
                Read.Dispose();
                return ValueTask.CompletedTask;
            }

            reads._pool.Add(Read);
            return ValueTask.CompletedTask;
        }
    }
}
