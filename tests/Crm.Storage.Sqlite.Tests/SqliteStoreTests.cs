using Crm.Abstractions;
using Crm.Abstractions.Storage;
using NodaTime;

namespace Crm.Storage.Sqlite.Tests;

public sealed class SqliteStoreTests : IDisposable
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private readonly TempDirectory _directory = new();

    private SqliteCrmStore Open(string name = "crm.db", int group = 100) =>
        new(new SqliteStoreOptions { ConnectionString = $"Data Source={_directory.File(name)}", MaxGroupCommitSize = group });

    private static StoreCommit NewDeal(TenantId tenant, string id, long expected = 0) => new(tenant, Guid.NewGuid(), T0)
    {
        Documents = [new DocumentWrite("deal", id, expected, "{\"id\":\"" + id + "\"}", [new IndexEntry("owner", "u1")])],
        Events = [new JournalAppend(Guid.NewGuid(), "deal", id, "DealOpened", "{}", T0, "u1", new Cause(CauseKind.Manual))],
    };

    [Fact]
    public async Task A_schema_1_file_is_migrated_keeping_its_documents_and_journal()
    {
        // A file as the first release wrote it: schema 1, no lease table, the journal keyed by (tenant, position) with
        // ids as text.
        var commitA = Guid.NewGuid();
        var commitB = Guid.NewGuid();
        var events = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("crm.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = $$"""
                PRAGMA journal_mode=WAL;
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
                INSERT INTO documents VALUES('t', 'deal', 'd1', 2, '{"id":"d1"}');
                INSERT INTO journal VALUES('t', 1, '{{commitA}}', {{T0.ToUnixTimeTicks()}}, '{{events[0]}}', 'deal', 'd1', 'DealOpened', '{"n":1}', {{T0.ToUnixTimeTicks()}}, 'u1', 0, NULL, NULL);
                INSERT INTO journal VALUES('t', 2, '{{commitB}}', {{T0.ToUnixTimeTicks() + 1}}, '{{events[1]}}', 'deal', 'd1', 'DealFieldSet', '{"n":2}', {{T0.ToUnixTimeTicks() + 1}}, NULL, 2, 'rule-1', 'a rule');
                INSERT INTO journal VALUES('u', 1, '{{commitB}}', {{T0.ToUnixTimeTicks() + 2}}, '{{events[2]}}', 'client', 'c1', 'ClientRegistered', '{"n":3}', {{T0.ToUnixTimeTicks() + 2}}, 'u2', 0, NULL, NULL);
                PRAGMA user_version = 1;
                """;
            await create.ExecuteNonQueryAsync();
        }

        var t = new TenantId("t");
        var u = new TenantId("u");
        await using (var migrated = Open())
        {
            Assert.Equal(2, (await migrated.LoadAsync(t, "deal", "d1"))!.Version);
            var journal = await ReadAllAsync(migrated, t);
            Assert.Equal([1L, 2L], journal.Select(r => r.Position));
            Assert.Equal([commitA, commitB], journal.Select(r => r.CommitId));
            Assert.Equal([events[0], events[1]], journal.Select(r => r.Event.EventId));
            Assert.Equal(["{\"n\":1}", "{\"n\":2}"], journal.Select(r => r.Event.Payload));
            Assert.Equal(T0 + Duration.FromTicks(1), journal[1].RecordedAt);
            Assert.Equal(new Cause(CauseKind.Rule, "rule-1", "a rule"), journal[1].Event.Cause);
            Assert.Null(journal[1].Event.Actor);
            var other = Assert.Single(await ReadAllAsync(migrated, u));
            Assert.Equal((1L, events[2], "c1"), (other.Position, other.Event.EventId, other.Event.StreamId));

            // Each tenant's journal goes on from its own head; the lease table of schema 2 is there.
            Assert.Equal(new CommitResult(3, 3), await migrated.CommitAsync(NewDeal(t, "d2")));
            Assert.Equal(new CommitResult(2, 2), await migrated.CommitAsync(NewDeal(u, "d3")));
            Assert.Equal(new CommitResult(1, 1), await migrated.CommitAsync(NewDeal(new TenantId("v"), "d4")));
            Assert.True(await migrated.TryClaimConsumerAsync(t, "notifications", "host-a", T0, Duration.FromMinutes(1)));
            Assert.False(await migrated.TryClaimConsumerAsync(t, "notifications", "host-b", T0, Duration.FromMinutes(1)));
        }

        await using (var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("crm.db")};Pooling=False"))
        {
            await check.OpenAsync();
            await using var version = check.CreateCommand();
            version.CommandText = "PRAGMA user_version;";
            Assert.Equal(3L, await version.ExecuteScalarAsync());
        }

        // The lease and the new events survived the restart with the file.
        await using var reopened = Open();
        Assert.False(await reopened.TryClaimConsumerAsync(t, "notifications", "host-b", T0 + Duration.FromSeconds(30), Duration.FromMinutes(1)));
        Assert.Equal([1L, 2L, 3L], (await ReadAllAsync(reopened, t)).Select(r => r.Position));
        Assert.Equal(new CommitResult(4, 4), await reopened.CommitAsync(NewDeal(t, "d5")));
    }

    private static async Task<List<JournalRecord>> ReadAllAsync(SqliteCrmStore store, TenantId tenant)
    {
        var records = new List<JournalRecord>();
        await foreach (var record in store.ReadJournalAsync(tenant, 0, 1000))
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task A_read_check_sees_a_write_another_store_made_to_the_same_file()
    {
        var tenant = new TenantId("t");
        StoreCommit User(long expected) => new(tenant, Guid.NewGuid(), T0)
        {
            Documents = [new DocumentWrite("user", "u1", expected, "{\"v\":" + (expected + 1) + "}", [])],
            Events = [new JournalAppend(Guid.NewGuid(), "user", "u1", "UserChanged", "{}", T0, null, new Cause(CauseKind.Manual))],
        };
        StoreCommit CheckedDeal(string id) => NewDeal(tenant, id) with { ReadChecks = [new DocumentVersionCheck("user", "u1", 1)] };

        await using var a = Open();
        await a.CommitAsync(User(0));
        await a.CommitAsync(CheckedDeal("d1")); // a's writer now knows user u1 is at version 1

        await using (var b = Open())
        {
            await b.CommitAsync(User(1)); // another store (another process, say) moves it on
        }

        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () => await a.CommitAsync(CheckedDeal("d2")));
        Assert.Equal(("user", "u1", 1L, 2L), (stale.Kind, stale.Id, stale.ExpectedVersion, stale.ActualVersion));
        Assert.Null(await a.LoadAsync(tenant, "deal", "d2"));
    }

    [Fact]
    public async Task A_read_check_after_a_request_rolled_back_in_its_group_sees_the_groups_earlier_writes()
    {
        await using var store = Open();
        var tenant = new TenantId("t");
        await store.CommitAsync(NewDeal(tenant, "taken"));
        await store.CommitAsync(NewDeal(tenant, "x")); // the writer knows x at version 1

        // In one group: 10 moves x to version 2, 40 fails after writing (the group reruns with savepoints), then 80
        // checks x at the old version and 90 at the new one.
        StoreCommit Build(int i) => i switch
        {
            10 => NewDeal(tenant, "x", expected: 1),
            40 => NewDeal(tenant, "d40") with { Documents = [.. NewDeal(tenant, "d40").Documents, new DocumentWrite("deal", "taken", 7, "{}", [])] },
            80 => NewDeal(tenant, "d80") with { ReadChecks = [new DocumentVersionCheck("deal", "x", 1)] },
            90 => NewDeal(tenant, "d90") with { ReadChecks = [new DocumentVersionCheck("deal", "x", 2)] },
            _ => NewDeal(tenant, "d" + i),
        };
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            try
            {
                await store.CommitAsync(Build(i));
                return (i, Actual: (long?)null);
            }
            catch (ConcurrencyConflictException e)
            {
                return (i, Actual: (long?)e.ActualVersion);
            }
        }));

        Assert.Equal([(40, 1L), (80, 2L)], outcomes.Where(o => o.Actual is not null).Select(o => (o.i, o.Actual!.Value)).ToArray());
        Assert.NotNull(await store.LoadAsync(tenant, "deal", "d90"));
    }

    [Fact]
    public async Task Group_commit_fails_only_the_conflicting_commit()
    {
        await using var store = Open();
        var tenant = new TenantId("t");
        await store.CommitAsync(NewDeal(tenant, "taken"));

        var tasks = Enumerable.Range(0, 200).Select(i => store.CommitAsync(NewDeal(tenant, i == 77 ? "taken" : "d" + i)).AsTask()).ToArray();
        var outcomes = await Task.WhenAll(tasks.Select(async t =>
        {
            try
            {
                await t;
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));

        Assert.Equal(199, outcomes.Count(o => o));
        Assert.False(outcomes[77]);
        var journal = new List<JournalRecord>();
        await foreach (var r in store.ReadJournalAsync(tenant, 0, 1000))
        {
            journal.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), journal.Select(r => r.Position));
    }

    [Fact]
    public async Task Group_commit_leaves_out_a_commit_that_failed_after_writing_and_keeps_the_rest()
    {
        await using var store = Open();
        var tenant = new TenantId("t");
        await store.CommitAsync(NewDeal(tenant, "taken"));
        await store.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0) { UniqueKeys = [new UniqueKeyChange("phone", "+4722334455", "c0")] });

        // Among 200 commits at once: one fails on its first write (nothing written), one after writing a new document
        // (a stale second document), one after writing its document (a key another owner holds), one on a read check.
        StoreCommit Build(int i) => i switch
        {
            20 => NewDeal(tenant, "taken"),
            40 => NewDeal(tenant, "d40") with { Documents = [.. NewDeal(tenant, "d40").Documents, new DocumentWrite("deal", "taken", 7, "{}", [])] },
            60 => NewDeal(tenant, "d60") with { UniqueKeys = [new UniqueKeyChange("phone", "+4722334455", "c60")] },
            80 => NewDeal(tenant, "d80") with { ReadChecks = [new DocumentVersionCheck("deal", "taken", 5)] },
            _ => NewDeal(tenant, "d" + i),
        };
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            try
            {
                await store.CommitAsync(Build(i));
                return (i, Error: (Type?)null);
            }
            catch (CrmException e)
            {
                return (i, Error: e.GetType());
            }
        }));

        Assert.Equal(
            [(20, typeof(ConcurrencyConflictException)), (40, typeof(ConcurrencyConflictException)), (60, typeof(DuplicateKeyException)), (80, typeof(ConcurrencyConflictException))],
            outcomes.Where(o => o.Error is not null).Select(o => (o.i, o.Error!)).ToArray());
        foreach (var i in new[] { 40, 60, 80 })
        {
            Assert.Null(await store.LoadAsync(tenant, "deal", "d" + i));
        }

        Assert.Equal("c0", await store.FindUniqueKeyOwnerAsync(tenant, "phone", "+4722334455"));
        Assert.Equal(1, (await store.LoadAsync(tenant, "deal", "taken"))!.Version);
        var journal = new List<JournalRecord>();
        await foreach (var r in store.ReadJournalAsync(tenant, 0, 1000))
        {
            journal.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 197).Select(i => (long)i), journal.Select(r => r.Position));
        Assert.Equal(196, journal.Skip(1).Select(r => r.Event.StreamId).Distinct().Count());
    }

    [Fact]
    public async Task Backup_while_writing_gives_a_consistent_copy_that_opens()
    {
        var tenant = new TenantId("t");
        var backupPath = _directory.File("backup.db");
        await using (var store = Open())
        {
            for (var i = 0; i < 50; i++)
            {
                await store.CommitAsync(NewDeal(tenant, "before" + i));
            }

            var writers = Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.CommitAsync(NewDeal(tenant, "during" + i)).AsTask()));
            await store.BackupAsync(backupPath);
            await writers;
        }

        await using var copy = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={backupPath}" });
        var journal = new List<JournalRecord>();
        await foreach (var r in copy.ReadJournalAsync(tenant, 0, 10_000))
        {
            journal.Add(r);
        }

        var documents = new List<StoredDocument>();
        await foreach (var d in copy.QueryAsync(tenant, "deal"))
        {
            documents.Add(d);
        }

        Assert.InRange(journal.Count, 50, 250);
        Assert.Equal(Enumerable.Range(1, journal.Count).Select(i => (long)i), journal.Select(r => r.Position));
        Assert.Equal(journal.Select(r => r.Event.StreamId).OrderBy(x => x), documents.Select(d => d.Id).OrderBy(x => x));
        Assert.Equal(new CommitResult(journal.Count + 1, journal.Count + 1), await copy.CommitAsync(NewDeal(tenant, "after")));
    }

    [Theory]
    [InlineData("", 100, "ConnectionString")]
    [InlineData("Data Source=:memory:", 100, "ConnectionString")]
    [InlineData("Data Source=x.db", 0, "MaxGroupCommitSize")]
    public void Bad_options_name_the_option(string connectionString, int group, string option)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = connectionString, MaxGroupCommitSize = group }));
        Assert.Contains(option, error.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void A_writer_spin_out_of_range_names_the_option(int microseconds)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteCrmStore(new SqliteStoreOptions
        {
            ConnectionString = $"Data Source={_directory.File("crm.db")}",
            WriterSpin = TimeSpan.FromMicroseconds(microseconds),
        }));
        Assert.Contains("WriterSpin", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_000)]
    public async Task Commits_arriving_one_by_one_and_all_at_once_land_whatever_the_writer_spin(int microseconds)
    {
        var tenant = new TenantId("t");
        await using var store = new SqliteCrmStore(new SqliteStoreOptions
        {
            ConnectionString = $"Data Source={_directory.File("crm.db")}",
            WriterSpin = TimeSpan.FromMicroseconds(microseconds),
        });

        // One by one: the writer has gone to sleep (or is still watching) when each arrives.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(new CommitResult(i + 1, i + 1), await store.CommitAsync(NewDeal(tenant, $"one-{i}")));
            if (i % 5 == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(15)); // longer than the longest spin: the writer sleeps
            }
        }

        // All at once from several threads.
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => await store.CommitAsync(NewDeal(tenant, $"many-{i}")))));

        Assert.Equal(Enumerable.Range(21, 200).Select(p => (long)p), results.Select(r => r.FirstPosition).Order());
        Assert.Equal(220, await store.ReadJournalAsync(tenant, 0, 1000).CountAsync());
    }

    [Fact]
    public async Task A_disposed_store_refuses_work_clearly()
    {
        var store = Open();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CommitAsync(NewDeal(new TenantId("t"), "x")));
    }

    [Fact]
    public async Task Commits_racing_with_dispose_each_either_land_or_fail_as_disposed()
    {
        var tenant = new TenantId("t");
        var store = Open(group: 10); // small groups, so that requests are still queued when the store is disposed
        var landed = new System.Collections.Concurrent.ConcurrentBag<long>();
        var refused = 0;
        async Task<bool> CommitAsync(string id)
        {
            try
            {
                landed.Add((await store.CommitAsync(NewDeal(tenant, id))).FirstPosition);
                return true;
            }
            catch (ObjectDisposedException)
            {
                Interlocked.Increment(ref refused);
                return false;
            }
        }

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(j => CommitAsync($"w{w}-{i}-{j}")));
                if (outcomes.Contains(false))
                {
                    return;
                }
            }
        })).ToArray();

        while (landed.Count < 200)
        {
            await Task.Delay(5);
        }

        await store.DisposeAsync();
        var all = Task.WhenAll(writers);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30)))); // none left waiting for ever

        // Exactly the acknowledged commits are in the file, at the positions they were told, without gaps.
        await using var reopened = Open();
        var journal = await ReadAllAsync(reopened, tenant);
        Assert.Equal(landed.Order(), journal.Select(r => r.Position));
        Assert.Equal(Enumerable.Range(1, journal.Count).Select(i => (long)i), journal.Select(r => r.Position));
    }

    public void Dispose() => _directory.Dispose();
}
