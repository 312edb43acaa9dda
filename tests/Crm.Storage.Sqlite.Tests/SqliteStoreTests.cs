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
    public async Task A_schema_1_file_is_migrated_to_consumer_leases_keeping_its_data()
    {
        var tenant = new TenantId("t");
        await using (var store = Open())
        {
            await store.CommitAsync(NewDeal(tenant, "d1"));
        }

        // Turn the file back into what the previous release wrote: schema 1, without the lease table.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("crm.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE consumer_leases; PRAGMA user_version = 1;";
            await downgrade.ExecuteNonQueryAsync();
        }

        await using (var migrated = Open())
        {
            Assert.NotNull(await migrated.LoadAsync(tenant, "deal", "d1"));
            Assert.True(await migrated.TryClaimConsumerAsync(tenant, "notifications", "host-a", T0, Duration.FromMinutes(1)));
            Assert.False(await migrated.TryClaimConsumerAsync(tenant, "notifications", "host-b", T0, Duration.FromMinutes(1)));
        }

        await using (var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("crm.db")};Pooling=False"))
        {
            await check.OpenAsync();
            await using var version = check.CreateCommand();
            version.CommandText = "PRAGMA user_version;";
            Assert.Equal(2L, await version.ExecuteScalarAsync());
        }

        // The lease survived the restart with the file.
        await using var reopened = Open();
        Assert.False(await reopened.TryClaimConsumerAsync(tenant, "notifications", "host-b", T0 + Duration.FromSeconds(30), Duration.FromMinutes(1)));
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

    [Fact]
    public async Task A_disposed_store_refuses_work_clearly()
    {
        var store = Open();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CommitAsync(NewDeal(new TenantId("t"), "x")));
    }

    public void Dispose() => _directory.Dispose();
}
