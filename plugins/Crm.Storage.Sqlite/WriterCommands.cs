using Microsoft.Data.Sqlite;

namespace Crm.Storage.Sqlite;

/// <summary>The writer's prepared statements, created once and reused for every commit (the hot path).</summary>
internal sealed class WriterCommands : IDisposable
{
    private readonly List<Prepared> _all = new();

    public WriterCommands(SqliteConnection connection)
    {
        Prepared Make(string sql, int parameters)
        {
            var prepared = new Prepared(connection, sql, parameters);
            _all.Add(prepared);
            return prepared;
        }

        Begin = Make("BEGIN IMMEDIATE", 0);
        Commit = Make("COMMIT", 0);
        Rollback = Make("ROLLBACK", 0);
        DataVersion = Make("PRAGMA data_version", 0);
        Savepoint = Make("SAVEPOINT c", 0);
        Release = Make("RELEASE c", 0);
        RollbackToSavepoint = Make("ROLLBACK TO c", 0);
        InsertDocument = Make("INSERT INTO documents(tenant, kind, id, version, json) VALUES($p0, $p1, $p2, $p3, $p4) ON CONFLICT DO NOTHING", 5);
        UpdateDocument = Make("UPDATE documents SET version = version + 1, json = $p4 WHERE tenant=$p0 AND kind=$p1 AND id=$p2 AND version=$p3", 5);
        DocumentVersion = Make("SELECT version FROM documents WHERE tenant=$p0 AND kind=$p1 AND id=$p2", 3);
        DeleteIndex = Make("DELETE FROM document_index WHERE tenant=$p0 AND kind=$p1 AND id=$p2", 3);
        InsertIndex = Make("INSERT OR IGNORE INTO document_index(tenant, kind, name, value, id) VALUES($p0, $p1, $p2, $p3, $p4)", 5);
        KeyOwner = Make("SELECT owner_id FROM unique_keys WHERE tenant=$p0 AND scope=$p1 AND key=$p2", 3);
        InsertKey = Make("INSERT INTO unique_keys(tenant, scope, key, owner_id) VALUES($p0, $p1, $p2, $p3)", 4);
        DeleteKey = Make("DELETE FROM unique_keys WHERE tenant=$p0 AND scope=$p1 AND key=$p2", 3);
        CompleteTimer = Make("DELETE FROM timers WHERE tenant=$p0 AND id=$p1 AND claim_token=$p2", 3);
        DeleteTimer = Make("DELETE FROM timers WHERE tenant=$p0 AND id=$p1", 2);
        UpsertTimer = Make("""
            INSERT INTO timers(tenant, id, due_at, kind, payload, claim_token, lease_until, attempts) VALUES($p0, $p1, $p2, $p3, $p4, NULL, NULL, 0)
            ON CONFLICT(tenant, id) DO UPDATE SET due_at=excluded.due_at, kind=excluded.kind, payload=excluded.payload, claim_token=NULL, lease_until=NULL, attempts=0
            """, 5);
        DueTimers = Make("""
            SELECT tenant, id, due_at, kind, payload, attempts FROM timers
            WHERE due_at <= $p0 AND (lease_until IS NULL OR lease_until <= $p0) ORDER BY due_at, tenant, id LIMIT $p1
            """, 2);
        ClaimTimer = Make("UPDATE timers SET claim_token=$p2, lease_until=$p3, attempts=attempts+1 WHERE tenant=$p0 AND id=$p1", 4);
        TenantNumber = Make("SELECT no FROM tenants WHERE name=$p0", 1);
        InsertTenant = Make("INSERT INTO tenants(name) VALUES($p0) RETURNING no", 1);
        JournalHead = Make("SELECT MAX(id) FROM journal WHERE id BETWEEN $p0 AND $p1", 2);
        InsertJournal = Make("""
            INSERT INTO journal(id, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text)
            VALUES($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12)
            """, 13);
    }

    public Prepared Begin { get; }
    public Prepared Commit { get; }
    public Prepared Rollback { get; }
    public Prepared DataVersion { get; }
    public Prepared Savepoint { get; }
    public Prepared Release { get; }
    public Prepared RollbackToSavepoint { get; }
    public Prepared InsertDocument { get; }
    public Prepared UpdateDocument { get; }
    public Prepared DocumentVersion { get; }
    public Prepared DeleteIndex { get; }
    public Prepared InsertIndex { get; }
    public Prepared KeyOwner { get; }
    public Prepared InsertKey { get; }
    public Prepared DeleteKey { get; }
    public Prepared CompleteTimer { get; }
    public Prepared DeleteTimer { get; }
    public Prepared UpsertTimer { get; }
    public Prepared DueTimers { get; }
    public Prepared ClaimTimer { get; }
    public Prepared TenantNumber { get; }
    public Prepared InsertTenant { get; }
    public Prepared JournalHead { get; }
    public Prepared InsertJournal { get; }

    public void Dispose()
    {
        foreach (var prepared in _all)
        {
            prepared.Command.Dispose();
        }
    }

    /// <summary>A statement with positional parameters <c>$p0…</c>.</summary>
    internal sealed class Prepared
    {
        private readonly SqliteParameter[] _parameters;

        public Prepared(SqliteConnection connection, string sql, int parameters)
        {
            Command = connection.CreateCommand();
            Command.CommandText = sql;
            _parameters = new SqliteParameter[parameters];
            for (var i = 0; i < parameters; i++)
            {
                _parameters[i] = Command.Parameters.Add(new SqliteParameter("$p" + i, null));
            }
        }

        public SqliteCommand Command { get; }

        public void Set(params object?[] values)
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                _parameters[i].Value = values[i] ?? DBNull.Value;
            }
        }

        public int ExecuteNonQuery() => Command.ExecuteNonQuery();

        public object? ExecuteScalar() => Command.ExecuteScalar();

        public SqliteDataReader ExecuteReader() => Command.ExecuteReader();
    }
}
