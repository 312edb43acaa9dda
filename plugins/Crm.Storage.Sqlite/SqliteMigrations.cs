using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite;

/// <summary>
/// The store's schema as an ordered list of migrations, applied when a store opens the file: inside one transaction that
/// holds the file's write lock (<c>BEGIN IMMEDIATE</c>, so stores opening the file at once migrate one after the other
/// and the later ones find nothing left to do) it applies the migrations newer than the recorded version and records
/// each in <c>schema_migrations</c>, as the PostgreSQL store does. The version is also kept in <c>PRAGMA
/// user_version</c>, which files written before <c>schema_migrations</c> existed carry alone, and which earlier builds
/// and <see cref="SqliteBackup.Verify"/> read. Append new migrations at the end; never edit a shipped one.
/// </summary>
internal static class SqliteMigrations
{
    private static readonly string[] Migrations =
    [
        // 1: documents, indexes, unique keys, the journal keyed by (tenant, position) with ids as text, timers.
        """
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
        """,
        // 2: journal consumers' leases (one host at a time works a consumer's pages).
        """
        CREATE TABLE consumer_leases(tenant TEXT NOT NULL, consumer TEXT NOT NULL, owner TEXT NOT NULL, lease_until INTEGER NOT NULL,
            PRIMARY KEY(tenant, consumer)) WITHOUT ROWID;
        """,
        // 3: the journal keyed by (tenant number, position) packed in its rowid (see JournalKey; 40 = its PositionBits),
        // with ids as 16-byte blobs; the rows are copied over in journal order.
        """
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
        """,
    ];

    /// <summary>The schema version this build of the store writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>
    /// Brings the file's schema to <see cref="LatestVersion"/>; returns how many migrations this call applied. A file
    /// already up to date and recorded is only read (no write lock taken).
    /// </summary>
    /// <exception cref="InvalidOperationException">The file has a newer schema than this store knows.</exception>
    public static int Migrate(SqliteConnection connection)
    {
        if (ReadVersion(connection, out var recorded) == LatestVersion && recorded)
        {
            return 0;
        }

        using var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE: waits for another opener's migration
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        var current = ReadVersion(connection, out _, transaction);
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The database '{connection.DataSource}' has schema version {current}, newer than this store's {LatestVersion}; upgrade Crm.Storage.Sqlite.");
        }

        // Versions a file reached before schema_migrations existed: recorded with an unknown time (0).
        for (var version = 1; version <= current; version++)
        {
            Execute(connection, transaction, $"INSERT OR IGNORE INTO schema_migrations(version, applied_at) VALUES({version}, 0);");
        }

        var now = SystemClock.Instance.GetCurrentInstant().ToUnixTimeTicks();
        for (var version = current + 1; version <= LatestVersion; version++)
        {
            Execute(connection, transaction, Migrations[version - 1]);
            Execute(connection, transaction, $"INSERT INTO schema_migrations(version, applied_at) VALUES({version}, {now});");
        }

        Execute(connection, transaction, $"PRAGMA user_version = {LatestVersion};");
        transaction.Commit();
        return LatestVersion - current;
    }

    /// <summary>
    /// The file's schema version: the higher of <c>PRAGMA user_version</c> and the last recorded migration;
    /// <paramref name="recorded"/> says whether <c>schema_migrations</c> holds it.
    /// </summary>
    private static int ReadVersion(SqliteConnection connection, out bool recorded, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        var header = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='schema_migrations'";
        var last = 0;
        if (Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1)
        {
            command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations";
            last = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        recorded = last >= header && last > 0;
        return Math.Max(header, last);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
