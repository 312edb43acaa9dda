using Crm.Storage.PostgreSql;
using Crm.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Samples.SqliteToPostgres;

/// <summary>How many rows of each table were copied.</summary>
public sealed record CopyReport(long Documents, long IndexEntries, long UniqueKeys, long JournalEvents, long Timers, int Tenants);

/// <summary>
/// Copies everything a kernel keeps in a SQLite file (documents, index entries, unique keys, the journal with its
/// positions, pending timers) into an empty PostgreSQL store, in one PostgreSQL transaction with binary COPY. Stop the
/// kernel first, or copy a backup taken with <c>SqliteCrmStore.BackupAsync</c> while it runs: the copy is of the file
/// as it is. Journal positions, event ids and versions are kept, so consumers' cursors stay valid and
/// <c>kernel.VerifyJournalAsync</c> on the PostgreSQL side checks the result.
/// </summary>
public static class SqliteToPostgresCopy
{
    /// <summary>Copies <paramref name="sqliteFile"/> into the (empty) PostgreSQL store <paramref name="target"/>.</summary>
    /// <exception cref="FileNotFoundException">The SQLite file does not exist.</exception>
    /// <exception cref="InvalidOperationException">The target already holds data; nothing was copied.</exception>
    public static async Task<CopyReport> CopyAsync(string sqliteFile, PostgreSqlCrmStore target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!File.Exists(sqliteFile))
        {
            throw new FileNotFoundException("The SQLite database to copy does not exist.", sqliteFile);
        }

        // Opening it as a store first brings an older file to the current SQLite schema and checks it is a kernel file.
        await new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={sqliteFile}" }).DisposeAsync().ConfigureAwait(false);
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqliteFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var read = source.BeginTransaction(); // one consistent snapshot of the file

        await using var connection = await target.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand("SELECT EXISTS(SELECT 1 FROM documents) OR EXISTS(SELECT 1 FROM journal) OR EXISTS(SELECT 1 FROM timers)", connection, transaction))
        {
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                throw new InvalidOperationException($"The PostgreSQL schema \"{target.Schema}\" already holds data; copy into an empty store.");
            }
        }

        var documents = await CopyTableAsync(source, connection, "SELECT tenant, kind, id, version, json FROM documents",
            "COPY documents(tenant, kind, id, version, json) FROM STDIN (FORMAT BINARY)",
            [Text, Text, Text, Int64, Text], cancellationToken).ConfigureAwait(false);
        var index = await CopyTableAsync(source, connection, "SELECT tenant, kind, name, value, id FROM document_index",
            "COPY document_index(tenant, kind, name, value, id) FROM STDIN (FORMAT BINARY)",
            [Text, Text, Text, Text, Text], cancellationToken).ConfigureAwait(false);
        var keys = await CopyTableAsync(source, connection, "SELECT tenant, scope, key, owner_id FROM unique_keys",
            "COPY unique_keys(tenant, scope, key, owner_id) FROM STDIN (FORMAT BINARY)",
            [Text, Text, Text, Text], cancellationToken).ConfigureAwait(false);
        var journal = await CopyTableAsync(source, connection,
            // (SQLite schema 3: the rowid holds the tenant's number in its high bits and the position in its low 40.)
            """
            SELECT t.name, j.id & 1099511627775, j.commit_id, j.recorded_at, j.event_id, j.stream_kind, j.stream_id, j.event_type, j.payload, j.occurred_at, j.actor, j.cause_kind, j.cause_ref, j.cause_text
            FROM journal j JOIN tenants t ON t.no = j.id >> 40 ORDER BY j.id
            """,
            "COPY journal(tenant, position, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text) FROM STDIN (FORMAT BINARY)",
            [Text, Int64, UuidBlob, Int64, UuidBlob, Text, Text, Text, Text, Int64, Text, Int32, Text, Text], cancellationToken).ConfigureAwait(false);
        var timers = await CopyTableAsync(source, connection, "SELECT tenant, id, due_at, kind, payload, claim_token, lease_until, attempts FROM timers",
            "COPY timers(tenant, id, due_at, kind, payload, claim_token, lease_until, attempts) FROM STDIN (FORMAT BINARY)",
            [Text, Text, Int64, Text, Text, Text, Int64, Int32], cancellationToken).ConfigureAwait(false);

        // The journal heads continue where the SQLite journal ended.
        int tenants;
        await using (var heads = new NpgsqlCommand("INSERT INTO journal_heads(tenant, head) SELECT tenant, max(position) FROM journal GROUP BY tenant", connection, transaction))
        {
            tenants = await heads.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CopyReport(documents, index, keys, journal, timers, tenants);
    }

    private static readonly Column Text = new(NpgsqlDbType.Text, (r, i) => r.GetString(i));
    private static readonly Column Int64 = new(NpgsqlDbType.Bigint, (r, i) => r.GetInt64(i));
    private static readonly Column Int32 = new(NpgsqlDbType.Integer, (r, i) => r.GetInt32(i));
    private static readonly Column UuidBlob = new(NpgsqlDbType.Uuid, (r, i) => new Guid(r.GetFieldValue<byte[]>(i), bigEndian: true));

    private sealed record Column(NpgsqlDbType Type, Func<SqliteDataReader, int, object> Read);

    private static async Task<long> CopyTableAsync(SqliteConnection source, NpgsqlConnection target, string select, string copy, Column[] columns, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand();
        command.CommandText = select;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var importer = await target.BeginBinaryImportAsync(copy, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < columns.Length; i++)
            {
                if (reader.IsDBNull(i))
                {
                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteAsync(columns[i].Read(reader, i), columns[i].Type, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return (long)await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }
}
