using System.Data;
using System.Runtime.CompilerServices;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Npgsql;
using NpgsqlTypes;
using NodaTime;

namespace Crm.Storage.PostgreSql;

/// <summary>
/// The PostgreSQL store: several kernel hosts (each with its own store instance and connection pool) share one
/// database. A commit is one transaction in one round trip: an <see cref="NpgsqlBatch"/> of <c>BEGIN</c>, the document
/// writes with their version checks, index and unique-key changes, timer changes, the journal append, the version checks
/// of documents read but not written (<see cref="StoreCommit.ReadChecks"/>, lock-free, last) and <c>COMMIT</c>.
/// A check that fails (a stale version, a key held by another owner, a lost timer claim) raises inside the
/// transaction, so the server skips the rest and nothing is written. Timers are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> and a lease, so runners on several hosts never take the same timer. Thread-safe.
/// </summary>
/// <remarks>
/// <para><b>Journal order without gaps.</b> Positions come from a per-tenant counter row (<c>journal_heads</c>) that the
/// commit increments as its last statement before COMMIT, in the same transaction and round trip. The row lock
/// serializes the end of concurrent commits of one tenant: the second waits until the first has committed (or rolled
/// back) before it gets its positions. So positions become visible strictly in order; a reader that has seen
/// position <c>n</c> will never later find a committed <c>n - 1</c> (the gap a plain sequence leaves when a transaction that drew a lower number commits
/// after one that drew a higher number), and a failed commit leaves no hole. The price is that commits of one tenant
/// hold that lock from the journal append to COMMIT (server-side only: both are in the same round trip); different
/// tenants never wait for each other.
/// A transaction-id watermark (read only below the oldest in-flight writer) would let commits overlap, but readers
/// then lag behind long transactions and positions are not contiguous; contiguous positions are part of the port's
/// contract (the conformance suite checks them), so the counter row wins here.</para>
/// <para><b>Deadlocks.</b> Inside a commit rows are locked in one global order (documents by kind and id, then unique
/// keys, then timers, then the journal head), so two commits cannot wait on each other in a cycle; should the server
/// still report a deadlock or serialization failure, the commit fails with <see cref="ConcurrencyConflictException"/>
/// like any stale write, and the kernel's caller retries.</para>
/// </remarks>
public sealed class PostgreSqlCrmStore : ICrmStore, IAsyncDisposable, IDisposable
{
    /// <summary>The SQLSTATE <c>crm_expect_one</c> raises when a commit's check fails.</summary>
    private const string CheckFailed = "CRM01";
    private readonly NpgsqlDataSource _dataSource;
    private int _disposed;

    /// <summary>Connects, and creates or migrates the schema (waiting for another host that is migrating it).</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached.</exception>
    public PostgreSqlCrmStore(PostgreSqlStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Schema = options.Schema;
        // The store's pooled connections are its own and never change session state (settings are SET LOCAL, locks are
        // transaction-scoped, an open transaction is rolled back on return anyway), so skip the reset statements Npgsql
        // otherwise sends with every pooled connection's next command.
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString) { SearchPath = options.Schema, NoResetOnClose = true };
        if (connection.MaxAutoPrepare == 0)
        {
            // The store sends a dozen distinct statements over and over: let Npgsql keep them prepared on each connection.
            connection.MaxAutoPrepare = 32;
        }

        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        AppliedMigrations = PostgreSqlMigrations.MigrateAsync(_dataSource, Schema, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The schema the tables live in.</summary>
    public string Schema { get; }

    /// <summary>How many migrations this instance applied when it opened (0 when another host had already done it).</summary>
    public int AppliedMigrations { get; }

    /// <summary>The schema version this build of the store migrates to.</summary>
    public static int SchemaVersion => PostgreSqlMigrations.LatestVersion;

    /// <summary>The store's connection pool, for tools that read or write the same tables (copy, bulk load).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <inheritdoc />
    public async ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
    {
        await using var command = Command("SELECT version, json FROM documents WHERE tenant=$1 AND kind=$2 AND id=$3", tenant.Value, kind, id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StoredDocument(kind, id, reader.GetInt64(0), reader.GetString(1))
            : null;
    }

    /// <inheritdoc />
    /// <remarks>A forward-only reader streams the rows; memory does not grow with the result.</remarks>
    public async IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = index is { } entry
            ? Command("""
                SELECT d.id, d.version, d.json FROM document_index i
                JOIN documents d ON d.tenant = i.tenant AND d.kind = i.kind AND d.id = i.id
                WHERE i.tenant=$1 AND i.kind=$2 AND i.name=$3 AND i.value=$4 ORDER BY i.id
                """, tenant.Value, kind, entry.Name, entry.Value)
            : Command("SELECT id, version, json FROM documents WHERE tenant=$1 AND kind=$2 ORDER BY id", tenant.Value, kind);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredDocument(kind, reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
        }
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default)
    {
        await using var command = Command("SELECT owner_id FROM unique_keys WHERE tenant=$1 AND scope=$2 AND key=$3", tenant.Value, scope, key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <inheritdoc />
    public async ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        foreach (var timer in commit.TimersToSet)
        {
            if (timer.Tenant != commit.Tenant)
            {
                throw new ArgumentException($"Timer '{timer.Id}' belongs to tenant '{timer.Tenant}', not to the commit's tenant '{commit.Tenant}'.", nameof(commit));
            }
        }

        var tenant = commit.Tenant.Value;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        var checks = new List<Func<Task<Exception>>>();
        Add(batch, "BEGIN");

        // One global lock order (see remarks): written documents (by kind and id), keys, timers, then the journal head.
        // Read checks take no lock: they run last (see AddReadChecks).
        foreach (var write in commit.Documents.OrderBy(d => d.Kind, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            if (write.ExpectedVersion == 0)
            {
                AddChecked(batch, checks, "INSERT INTO documents(tenant, kind, id, version, json) VALUES($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING", tenant, write.Kind, write.Id, write.Json);
            }
            else
            {
                AddChecked(batch, checks, "UPDATE documents SET version = version + 1, json = $5 WHERE tenant=$1 AND kind=$2 AND id=$3 AND version=$4", tenant, write.Kind, write.Id, write.ExpectedVersion, write.Json);
            }

            checks.Add(async () => new ConcurrencyConflictException(write.Kind, write.Id, write.ExpectedVersion, await VersionAsync(commit.Tenant, write.Kind, write.Id).ConfigureAwait(false)));
            if (write.ExpectedVersion != 0 && write.IndexesChanged)
            {
                Add(batch, "DELETE FROM document_index WHERE tenant=$1 AND kind=$2 AND id=$3", tenant, write.Kind, write.Id);
            }

            if (write.Indexes.Count > 0 && (write.ExpectedVersion == 0 || write.IndexesChanged))
            {
                var names = new string[write.Indexes.Count];
                var values = new string[write.Indexes.Count];
                for (var i = 0; i < names.Length; i++)
                {
                    (names[i], values[i]) = (write.Indexes[i].Name, write.Indexes[i].Value);
                }

                Add(batch, """
                    INSERT INTO document_index(tenant, kind, name, value, id) SELECT $1, $2, n, v, $3 FROM unnest($4::text[], $5::text[]) AS e(n, v)
                    ON CONFLICT DO NOTHING
                    """, tenant, write.Kind, write.Id, names, values);
            }
        }

        foreach (var change in commit.UniqueKeys.OrderBy(k => k.Scope, StringComparer.Ordinal).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            if (change.Release)
            {
                Add(batch, "DELETE FROM unique_keys WHERE tenant=$1 AND scope=$2 AND key=$3 AND owner_id=$4", tenant, change.Scope, change.Key, change.OwnerId);
                continue;
            }

            // Touches the row (so it is locked) only when the same owner holds it; another owner's key affects 0 rows.
            AddChecked(batch, checks, """
                INSERT INTO unique_keys(tenant, scope, key, owner_id) VALUES($1, $2, $3, $4)
                ON CONFLICT (tenant, scope, key) DO UPDATE SET owner_id = EXCLUDED.owner_id WHERE unique_keys.owner_id = EXCLUDED.owner_id
                """, tenant, change.Scope, change.Key, change.OwnerId);
            checks.Add(async () => new DuplicateKeyException(change.Scope, change.Key,
                await FindUniqueKeyOwnerAsync(commit.Tenant, change.Scope, change.Key, CancellationToken.None).ConfigureAwait(false) ?? "(released meanwhile)"));
        }

        foreach (var completion in commit.TimersCompleted.OrderBy(t => t.TimerId, StringComparer.Ordinal))
        {
            AddChecked(batch, checks, "DELETE FROM timers WHERE tenant=$1 AND id=$2 AND claim_token=$3", tenant, completion.TimerId, completion.ClaimToken);
            checks.Add(() => Task.FromResult<Exception>(new ConcurrencyConflictException("timer", completion.TimerId, 1, 0)));
        }

        foreach (var id in commit.TimersToCancel.Order(StringComparer.Ordinal))
        {
            Add(batch, "DELETE FROM timers WHERE tenant=$1 AND id=$2", tenant, id);
        }

        foreach (var timer in commit.TimersToSet.OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            Add(batch, """
                INSERT INTO timers(tenant, id, due_at, kind, payload, claim_token, lease_until, attempts) VALUES($1, $2, $3, $4, $5, NULL, NULL, 0)
                ON CONFLICT (tenant, id) DO UPDATE SET due_at = EXCLUDED.due_at, kind = EXCLUDED.kind, payload = EXCLUDED.payload,
                    claim_token = NULL, lease_until = NULL, attempts = 0
                """, tenant, timer.Id, timer.DueAt.ToUnixTimeTicks(), timer.Kind, timer.Payload);
        }

        var count = commit.Events.Count;
        if (count > 0)
        {
            AddJournalAppend(batch, commit);
        }

        if (commit.ReadChecks.Count > 0)
        {
            AddReadChecks(batch, checks, commit);
        }

        Add(batch, "COMMIT");

        long head = 0;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            // Only the journal append returns a column named head; the checks return an empty (void) value.
            do
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.FieldCount == 1 && reader.GetName(0) == "head")
                    {
                        head = reader.GetInt64(0);
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (PostgresException e) when (e.SqlState == CheckFailed)
        {
            await RollbackAsync(connection).ConfigureAwait(false);
            throw await checks[int.Parse(e.MessageText, System.Globalization.CultureInfo.InvariantCulture)]().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
        {
            await RollbackAsync(connection).ConfigureAwait(false);
            var first = commit.Documents.Count > 0 ? commit.Documents[0] : null;
            throw new ConcurrencyConflictException(first?.Kind ?? "commit", first?.Id ?? commit.CommitId.ToString(), first?.ExpectedVersion ?? 0, -1);
        }
        catch (PostgresException)
        {
            await RollbackAsync(connection).ConfigureAwait(false);
            throw;
        }

        return count == 0 ? default : new CommitResult(head - count + 1, head);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        await using var command = Command("""
            SELECT position, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text
            FROM journal WHERE tenant=$1 AND position > $2 ORDER BY position LIMIT $3
            """, tenant.Value, afterPosition, maxCount);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var appended = new JournalAppend(
                reader.GetGuid(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetString(7),
                Instant.FromUnixTimeTicks(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                new Cause((CauseKind)reader.GetInt32(10), reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12)));
            yield return new JournalRecord(reader.GetInt64(0), tenant, reader.GetGuid(1), Instant.FromUnixTimeTicks(reader.GetInt64(2)), appended);
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement: <c>SELECT … FOR UPDATE SKIP LOCKED</c> picks due, unleased timers that no other runner is
    /// claiming right now, and the same statement writes the new lease and claim token.</remarks>
    public async ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        var leaseUntil = now + lease;
        await using var command = Command("""
            WITH due AS (
                SELECT tenant, id FROM timers WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                ORDER BY due_at, tenant, id LIMIT $2 FOR UPDATE SKIP LOCKED)
            UPDATE timers t SET claim_token = md5(random()::text || clock_timestamp()::text || t.id), lease_until = $3, attempts = t.attempts + 1
            FROM due WHERE t.tenant = due.tenant AND t.id = due.id
            RETURNING t.tenant, t.id, t.due_at, t.kind, t.payload, t.attempts, t.claim_token
            """, now.ToUnixTimeTicks(), maxCount, leaseUntil.ToUnixTimeTicks());
        var claimed = new List<ClaimedTimer>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var timer = new ScheduledTimer(reader.GetString(1), new TenantId(reader.GetString(0)), Instant.FromUnixTimeTicks(reader.GetInt64(2)), reader.GetString(3), reader.GetString(4));
                claimed.Add(new ClaimedTimer(timer, reader.GetString(6), leaseUntil, reader.GetInt32(5)));
            }
        }

        // RETURNING has no order; the port promises oldest due first.
        claimed.Sort(static (a, b) =>
        {
            var byDue = a.Timer.DueAt.CompareTo(b.Timer.DueAt);
            if (byDue != 0)
            {
                return byDue;
            }

            var byTenant = string.CompareOrdinal(a.Timer.Tenant.Value, b.Timer.Tenant.Value);
            return byTenant != 0 ? byTenant : string.CompareOrdinal(a.Timer.Id, b.Timer.Id);
        });
        return claimed;
    }

    /// <inheritdoc />
    /// <remarks>One statement: a missing lease row is inserted already claimed; an existing one is taken with
    /// <c>SELECT … FOR UPDATE SKIP LOCKED</c> only when it is free, expired or already ours, and the same statement writes
    /// the new owner and expiry. A host claiming the row at this moment makes the others skip it rather than wait.</remarks>
    public async ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (lease <= Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease must be positive.");
        }

        // The CTEs share one snapshot: a row the INSERT creates is invisible to "free", and a row another host inserted
        // after this statement began is invisible too (that host won it).
        await using var command = Command("""
            WITH inserted AS (
                INSERT INTO consumer_leases(tenant, consumer, owner, lease_until) VALUES($1, $2, $3, $5)
                ON CONFLICT (tenant, consumer) DO NOTHING
                RETURNING 1),
            free AS (
                SELECT tenant, consumer FROM consumer_leases
                WHERE tenant = $1 AND consumer = $2 AND (owner IS NULL OR owner = $3 OR lease_until <= $4)
                FOR UPDATE SKIP LOCKED),
            updated AS (
                UPDATE consumer_leases l SET owner = $3, lease_until = $5
                FROM free WHERE l.tenant = free.tenant AND l.consumer = free.consumer
                RETURNING 1)
            SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated)
            """, tenant.Value, consumer, owner, now.ToUnixTimeTicks(), (now + lease).ToUnixTimeTicks());
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long claimed && claimed > 0;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        await using var command = Command("UPDATE consumer_leases SET owner = NULL, lease_until = $4 WHERE tenant = $1 AND consumer = $2 AND owner = $3",
            tenant.Value, consumer, owner, long.MinValue);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = Command("SELECT id, due_at, kind, payload FROM timers WHERE tenant=$1 ORDER BY due_at, id", tenant.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ScheduledTimer(reader.GetString(0), tenant, Instant.FromUnixTimeTicks(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Appends the commit's events after the tenant's head in one statement: the head row is created or incremented by the
    /// number of events (locking it until COMMIT, which is what keeps positions gap-free), and the events are inserted
    /// from arrays with their ordinal as the offset. Returns the new head.
    /// </summary>
    private static void AddJournalAppend(NpgsqlBatch batch, StoreCommit commit)
    {
        var events = commit.Events;
        var n = events.Count;
        if (n == 1)
        {
            // The common case: scalar parameters, no arrays to encode and unnest.
            var e = events[0];
            Add(batch, """
                WITH head AS (
                    INSERT INTO journal_heads(tenant, head) VALUES($1, 1) ON CONFLICT (tenant) DO UPDATE SET head = journal_heads.head + 1
                    RETURNING head),
                appended AS (
                    INSERT INTO journal(tenant, position, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text)
                    SELECT $1, head.head, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM head)
                SELECT head FROM head
                """, commit.Tenant.Value, commit.CommitId, commit.RecordedAt.ToUnixTimeTicks(),
                e.EventId, e.StreamKind, e.StreamId, e.EventType, e.Payload, e.OccurredAt.ToUnixTimeTicks(), e.Actor, (int)e.Cause.Kind, e.Cause.Reference, e.Cause.Description);
            return;
        }

        var eventIds = new Guid[n];
        var streamKinds = new string[n];
        var streamIds = new string[n];
        var types = new string[n];
        var payloads = new string[n];
        var occurred = new long[n];
        var actors = new string?[n];
        var causeKinds = new int[n];
        var causeRefs = new string?[n];
        var causeTexts = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            (eventIds[i], streamKinds[i], streamIds[i], types[i], payloads[i]) = (e.EventId, e.StreamKind, e.StreamId, e.EventType, e.Payload);
            (occurred[i], actors[i], causeKinds[i], causeRefs[i], causeTexts[i]) = (e.OccurredAt.ToUnixTimeTicks(), e.Actor, (int)e.Cause.Kind, e.Cause.Reference, e.Cause.Description);
        }

        Add(batch, """
            WITH head AS (
                INSERT INTO journal_heads(tenant, head) VALUES($1, $2) ON CONFLICT (tenant) DO UPDATE SET head = journal_heads.head + EXCLUDED.head
                RETURNING head),
            appended AS (
                INSERT INTO journal(tenant, position, commit_id, recorded_at, event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text)
                SELECT $1, head.head - $2 + e.ord, $3, $4, e.event_id, e.stream_kind, e.stream_id, e.event_type, e.payload, e.occurred_at, e.actor, e.cause_kind, e.cause_ref, e.cause_text
                FROM head, unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::int[], $13::text[], $14::text[])
                    WITH ORDINALITY AS e(event_id, stream_kind, stream_id, event_type, payload, occurred_at, actor, cause_kind, cause_ref, cause_text, ord))
            SELECT head FROM head
            """, commit.Tenant.Value, (long)n, commit.CommitId, commit.RecordedAt.ToUnixTimeTicks(),
            eventIds, streamKinds, streamIds, types, payloads, occurred, actors, causeKinds, causeRefs, causeTexts);
    }

    /// <summary>
    /// Checks every read-checked document's version in one statement, after the commit's writes and journal append: by
    /// then the commit holds the tenant's journal head, so every commit ordered before it in the journal has committed and
    /// is visible to these statements, and any commit that changes a checked document after them is ordered after it in the
    /// journal. No row is locked (a share lock writes the row and, with several readers, a multixact).
    /// </summary>
    private void AddReadChecks(NpgsqlBatch batch, List<Func<Task<Exception>>> checks, StoreCommit commit)
    {
        // One statement for all of them: a primary-key lookup per check; crm_expect_one raises with the number of the
        // first stale one. Its text depends only on how many checks there are and the first check's number, so it is
        // prepared once per shape. E.g. for two:
        // SELECT crm_expect_one((c0 AND c1)::int, CASE WHEN NOT c0 THEN '4' ELSE '5' END)
        // FROM (SELECT coalesce((SELECT version FROM documents WHERE tenant=$1 AND kind=$2 AND id=$3), 0) = $4 AS c0, …) c
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var n = commit.ReadChecks.Count;
        var values = new object?[1 + 3 * n];
        values[0] = commit.Tenant.Value;
        var all = new System.Text.StringBuilder();
        var which = new System.Text.StringBuilder("CASE");
        var lookups = new System.Text.StringBuilder();
        for (var i = 0; i < n; i++)
        {
            var check = commit.ReadChecks[i];
            var p = 2 + 3 * i;
            all.Append(i == 0 ? "" : " AND ").Append(invariant, $"c{i}");
            if (i < n - 1)
            {
                which.Append(invariant, $" WHEN NOT c{i} THEN '{checks.Count}'");
            }
            else
            {
                which.Append(invariant, $" ELSE '{checks.Count}' END");
            }

            lookups.Append(i == 0 ? "" : ", ").Append(invariant,
                $"coalesce((SELECT version FROM documents WHERE tenant=$1 AND kind=${p} AND id=${p + 1}), 0) = ${p + 2} AS c{i}");
            (values[p - 1], values[p], values[p + 1]) = (check.Kind, check.Id, check.Version);
            checks.Add(async () => new ConcurrencyConflictException(check.Kind, check.Id, check.Version, await VersionAsync(commit.Tenant, check.Kind, check.Id).ConfigureAwait(false)));
        }

        if (n == 1)
        {
            which.Clear().Append(invariant, $"'{checks.Count - 1}'");
        }

        Add(batch, $"SELECT crm_expect_one(({all})::int, {which}) FROM (SELECT {lookups} OFFSET 0) c", values);
    }

    /// <summary>Adds a statement that must touch exactly one row; otherwise <c>crm_expect_one</c> aborts the transaction
    /// with <see cref="CheckFailed"/> and the check's number, which indexes <paramref name="checks"/>.</summary>
    private static void AddChecked(NpgsqlBatch batch, List<Func<Task<Exception>>> checks, string sql, params object?[] values) =>
        Add(batch, $"WITH affected AS ({sql} RETURNING 1) SELECT crm_expect_one(count(*), '{checks.Count}') FROM affected", values);

    private static async Task RollbackAsync(NpgsqlConnection connection)
    {
        if (connection.State == ConnectionState.Open)
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<long> VersionAsync(TenantId tenant, string kind, string id)
    {
        await using var command = Command("SELECT version FROM documents WHERE tenant=$1 AND kind=$2 AND id=$3", tenant.Value, kind, id);
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is long version ? version : 0;
    }

    private NpgsqlCommand Command(string sql, params object?[] values)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var command = _dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(Parameter(value));
        }

        return command;
    }

    private static NpgsqlBatchCommand Add(NpgsqlBatch batch, string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(Parameter(value));
        }

        batch.BatchCommands.Add(command);
        return command;
    }

    private static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        string?[] strings => new NpgsqlParameter { Value = strings, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        _ => new NpgsqlParameter { Value = value },
    };
}
