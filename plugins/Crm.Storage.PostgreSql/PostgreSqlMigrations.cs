using Npgsql;

namespace Crm.Storage.PostgreSql;

/// <summary>
/// The store's schema as an ordered list of migrations. Each host runs <see cref="MigrateAsync"/> at start: inside one
/// transaction it takes a transaction-scoped advisory lock (so hosts starting at once migrate one after the other, and
/// the later ones find nothing left to do), applies the migrations newer than the recorded version and records them.
/// Append new migrations at the end; never edit a shipped one.
/// </summary>
internal static class PostgreSqlMigrations
{
    /// <summary>The advisory lock key every host uses around migration ("crm.sche" as bytes).</summary>
    private const long MigrationLockKey = 0x63726D2E73636865;

    private static readonly string[] Migrations =
    [
        // 1: documents, indexes, unique keys, the journal with its per-tenant head counter, timers. Key columns use the
        // "C" collation: ids sort by code point (as on SQLite) and the primary keys serve the ORDER BY, whatever the
        // database's default collation.
        """
        CREATE TABLE documents(tenant text COLLATE "C" NOT NULL, kind text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
            version bigint NOT NULL, json text NOT NULL,
            PRIMARY KEY(tenant, kind, id));
        CREATE TABLE document_index(tenant text COLLATE "C" NOT NULL, kind text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL,
            value text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
            PRIMARY KEY(tenant, kind, name, value, id));
        CREATE INDEX ix_document_index_id ON document_index(tenant, kind, id);
        CREATE TABLE unique_keys(tenant text COLLATE "C" NOT NULL, scope text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
            owner_id text NOT NULL,
            PRIMARY KEY(tenant, scope, key));
        CREATE TABLE journal_heads(tenant text COLLATE "C" PRIMARY KEY, head bigint NOT NULL);
        CREATE TABLE journal(tenant text COLLATE "C" NOT NULL, position bigint NOT NULL, commit_id uuid NOT NULL, recorded_at bigint NOT NULL,
            event_id uuid NOT NULL, stream_kind text COLLATE "C" NOT NULL, stream_id text COLLATE "C" NOT NULL, event_type text NOT NULL,
            payload text NOT NULL, occurred_at bigint NOT NULL, actor text, cause_kind integer NOT NULL, cause_ref text, cause_text text,
            PRIMARY KEY(tenant, position));
        CREATE UNIQUE INDEX ux_journal_event ON journal(event_id);
        CREATE TABLE timers(tenant text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, due_at bigint NOT NULL, kind text NOT NULL,
            payload text NOT NULL, claim_token text, lease_until bigint, attempts integer NOT NULL DEFAULT 0,
            PRIMARY KEY(tenant, id));
        CREATE INDEX ix_timers_due ON timers(due_at, tenant, id);
        """,
        // 2: a stream's events in journal order (a deal's history) without scanning the tenant's journal.
        "CREATE INDEX ix_journal_stream ON journal(tenant, stream_kind, stream_id, position);",
        // 3: a commit's checks inside its single round trip: a version, key or claim check that did not touch exactly one
        // row aborts the transaction with SQLSTATE CRM01 and the check's number as the message.
        """
        CREATE FUNCTION crm_expect_one(affected bigint, check_number text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF affected <> 1 THEN
                RAISE EXCEPTION USING ERRCODE = 'CRM01', MESSAGE = check_number;
            END IF;
        END $$;
        """,
        // 4: journal consumers' leases: one row per (tenant, consumer), claimed with SELECT … FOR UPDATE SKIP LOCKED so
        // one host at a time works a consumer's pages. owner is null when released; lease_until in Unix ticks.
        """
        CREATE TABLE consumer_leases(tenant text COLLATE "C" NOT NULL, consumer text COLLATE "C" NOT NULL, owner text,
            lease_until bigint NOT NULL, PRIMARY KEY(tenant, consumer));
        """,
        // 5: room on each page for updated rows, so a document's new version (and a journal head's new count) can be a
        // heap-only update that touches no index page. Applies to pages written from now on.
        """
        ALTER TABLE documents SET (fillfactor = 70);
        ALTER TABLE journal_heads SET (fillfactor = 50);
        ALTER TABLE consumer_leases SET (fillfactor = 50);
        """,
    ];

    /// <summary>The schema version this build of the store writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the schema to <see cref="LatestVersion"/>; returns how many migrations this call applied.</summary>
    /// <exception cref="InvalidOperationException">The database has a newer schema than this store knows.</exception>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"""
            CREATE SCHEMA IF NOT EXISTS "{schema}";
            CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand($"""SELECT coalesce(max(version), 0) FROM "{schema}".schema_migrations""", connection);
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (current > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL schema \"{schema}\" has version {current}, newer than this store's {LatestVersion}; upgrade Crm.Storage.PostgreSql on this host.");
        }

        for (var version = current + 1; version <= LatestVersion; version++)
        {
            await ExecuteAsync(connection, $"SET LOCAL search_path TO \"{schema}\";\n" + Migrations[version - 1], cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"""INSERT INTO "{schema}".schema_migrations(version) VALUES({version})""", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return LatestVersion - current;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
