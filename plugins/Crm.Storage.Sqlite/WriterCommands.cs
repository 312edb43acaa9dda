using Microsoft.Data.Sqlite;

namespace Crm.Storage.Sqlite;

/// <summary>The writer's prepared statements, created once and reused for every commit (the hot path).</summary>
internal sealed class WriterCommands : IDisposable
{
    private readonly List<Prepared> _all = new();
    private readonly List<RawStatement> _raw = new();

    public WriterCommands(SqliteConnection connection)
    {
        RawStatement MakeRaw(string sql, int parameters)
        {
            var statement = new RawStatement(connection, sql, parameters);
            _raw.Add(statement);
            return statement;
        }

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
        UpdateDocument = MakeRaw("UPDATE documents SET version = version + 1, json = ?5 WHERE tenant=?1 AND kind=?2 AND id=?3 AND version=?4", 5);
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
        InsertJournal = MakeRaw("""
            INSERT INTO journal(id, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
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
    public RawStatement UpdateDocument { get; }
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
    public RawStatement InsertJournal { get; }

    public void Dispose()
    {
        foreach (var prepared in _all)
        {
            prepared.Command.Dispose();
        }

        foreach (var statement in _raw)
        {
            statement.Dispose();
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

    /// <summary>
    /// A hot statement of the writer run on SQLite's own API (prepared once, stepped and reset): no command or reader
    /// objects per execution, and a parameter is bound again only when its value changed (SQLite keeps bindings across a
    /// reset). Strings are compared by reference, and by value when short.
    /// </summary>
    internal sealed class RawStatement : IDisposable
    {
        private const int ShortText = 64;
        private readonly SqliteConnection _connection;
        private readonly SQLitePCL.sqlite3_stmt _statement;
        private readonly object?[] _texts;
        private readonly long[] _numbers;
        private readonly byte[] _kinds; // 0 unbound, 1 text, 2 number, 3 null, 4 blob

        public RawStatement(SqliteConnection connection, string sql, int parameters)
        {
            _connection = connection;
            var rc = SQLitePCL.raw.sqlite3_prepare_v2(connection.Handle, sql, out _statement);
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            _texts = new object?[parameters];
            _numbers = new long[parameters];
            _kinds = new byte[parameters];
        }

        public void Text(int index, string? value)
        {
            if (value is null)
            {
                Null(index);
                return;
            }

            if (_kinds[index] == 1 && _texts[index] is string bound
                && (ReferenceEquals(bound, value) || (value.Length <= ShortText && string.Equals(bound, value, StringComparison.Ordinal))))
            {
                return;
            }

            Check(SQLitePCL.raw.sqlite3_bind_text(_statement, index + 1, value));
            _texts[index] = value;
            _kinds[index] = 1;
        }

        public void Number(int index, long value)
        {
            if (_kinds[index] == 2 && _numbers[index] == value)
            {
                return;
            }

            Check(SQLitePCL.raw.sqlite3_bind_int64(_statement, index + 1, value));
            _numbers[index] = value;
            _kinds[index] = 2;
        }

        public void Blob(int index, ReadOnlySpan<byte> value)
        {
            Check(SQLitePCL.raw.sqlite3_bind_blob(_statement, index + 1, value));
            _texts[index] = null;
            _kinds[index] = 4;
        }

        /// <summary>Steps the statement to its end and resets it; the rows it changed.</summary>
        public int Execute()
        {
            var rc = SQLitePCL.raw.sqlite3_step(_statement);
            if (rc is not (SQLitePCL.raw.SQLITE_DONE or SQLitePCL.raw.SQLITE_ROW))
            {
                SQLitePCL.raw.sqlite3_reset(_statement);
                SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
            }

            SQLitePCL.raw.sqlite3_reset(_statement);
            return SQLitePCL.raw.sqlite3_changes(_connection.Handle);
        }

        public void Dispose() => _statement.Dispose();

        private void Null(int index)
        {
            if (_kinds[index] == 3)
            {
                return;
            }

            Check(SQLitePCL.raw.sqlite3_bind_null(_statement, index + 1));
            _texts[index] = null;
            _kinds[index] = 3;
        }

        private void Check(int rc)
        {
            if (rc != SQLitePCL.raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
            }
        }
    }
}
