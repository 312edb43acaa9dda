using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>
/// Files written by earlier builds open and migrate without losing data. <c>Fixtures/schema3-main-7250461.db</c> was
/// written by the store as on main at 7250461 (schema 3, one 1,201-line <c>SqliteCrmStore</c>, the version kept only in
/// <c>PRAGMA user_version</c>) running <see cref="MainFixture.PopulateAsync"/>; it is committed, not regenerated.
/// </summary>
public sealed class MigrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private SqliteCrmStore Open(string path) => new(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" });

    [Fact]
    public async Task Issue19_a_file_written_by_the_store_on_main_opens_and_reads_back_everything()
    {
        var path = _directory.File("crm.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema3-main-7250461.db"), path);
        Assert.Equal(Array.Empty<long>(), RecordedMigrations(path)); // (no record table yet: user_version only)

        await using (var store = Open(path))
        {
            await MainFixture.AssertContentAsync(store);
        }

        // The versions the file already had are recorded, and the header's version stays what older builds read.
        Assert.Equal([1L, 2L, 3L], RecordedMigrations(path));
        Assert.Equal(3L, UserVersion(path));

        // And it goes on: a second open finds nothing to do and the data is unchanged.
        await using var again = Open(path);
        Assert.Equal(MainFixture.Tenants.Length, await CountTenantsAsync(again));
    }

    [Fact]
    public async Task Issue19_the_fixture_content_reads_back_the_same_from_a_new_file()
    {
        // Guards the fixture test itself: the same assertions hold on a file this build creates and fills.
        var path = _directory.File("fresh.db");
        await using (var store = Open(path))
        {
            await MainFixture.PopulateAsync(store);
        }

        await using (var store = Open(path))
        {
            await MainFixture.AssertContentAsync(store);
        }

        Assert.Equal([1L, 2L, 3L], RecordedMigrations(path));
        Assert.Equal(3L, UserVersion(path));
    }

    [Fact]
    public async Task Issue19_a_file_with_a_newer_schema_is_refused_with_the_versions_named()
    {
        var path = _directory.File("newer.db");
        await using (var store = Open(path))
        {
            await store.CommitAsync(new StoreCommit(new TenantId("t"), Guid.NewGuid(), MainFixture.T0));
        }

        Execute(path, "INSERT INTO schema_migrations(version, applied_at) VALUES(4, 0); PRAGMA user_version = 4;");
        var error = Assert.Throws<InvalidOperationException>(() => Open(path));
        Assert.Contains("schema version 4", error.Message);
        Assert.Contains("newer than this store's 3", error.Message);
    }

    [Fact]
    public async Task Issue19_two_stores_opening_a_new_file_at_once_both_start()
    {
        // The migration takes the file's write lock before it reads the version: the second store waits, then finds the
        // schema made and applies nothing.
        var path = _directory.File("race.db");
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Open(path))));
        try
        {
            var results = await Task.WhenAll(stores.Select((s, i) => s.CommitAsync(MainFixture.Deal(new TenantId("t"), $"d{i}")).AsTask()));
            Assert.Equal([1L, 2L, 3L, 4L], results.Select(r => r.FirstPosition).Order());
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }

        Assert.Equal([1L, 2L, 3L], RecordedMigrations(path));
    }

    private static async Task<int> CountTenantsAsync(SqliteCrmStore store)
    {
        var count = 0;
        foreach (var tenant in MainFixture.Tenants)
        {
            count += await store.ReadJournalAsync(tenant, 0, 1).AnyAsync() ? 1 : 0;
        }

        return count;
    }

    private static List<long> RecordedMigrations(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='schema_migrations'";
        if (Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return [];
        }

        command.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        var versions = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            versions.Add(reader.GetInt64(0));
        }

        return versions;
    }

    private static long UserVersion(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _directory.Dispose();
}

/// <summary>
/// The content of the committed fixture: two tenants' documents with index entries (one updated with new entries),
/// unique keys (one released), journals with every cause field, timers (one claimed once) and a consumer's lease.
/// Deterministic, so the assertions can name every value.
/// </summary>
internal static class MainFixture
{
    public static readonly Instant T0 = Instant.FromUtc(2026, 12, 1, 9, 0);
    public static readonly TenantId Acme = new("acme");
    public static readonly TenantId Globex = new("globex");
    public static readonly TenantId[] Tenants = [Acme, Globex];
    private static readonly Guid Commit1 = Guid.Parse("11111111-0000-4000-8000-000000000001");
    private static readonly Guid Commit2 = Guid.Parse("11111111-0000-4000-8000-000000000002");
    private static readonly Guid Commit3 = Guid.Parse("11111111-0000-4000-8000-000000000003");
    private static readonly Guid[] Events =
    [
        Guid.Parse("22222222-0000-4000-8000-000000000001"),
        Guid.Parse("22222222-0000-4000-8000-000000000002"),
        Guid.Parse("22222222-0000-4000-8000-000000000003"),
        Guid.Parse("22222222-0000-4000-8000-000000000004"),
    ];

    public static StoreCommit Deal(TenantId tenant, string id) => new(tenant, Guid.NewGuid(), T0)
    {
        Documents = [new DocumentWrite("deal", id, 0, "{\"id\":\"" + id + "\"}", [])],
        Events = [new JournalAppend(Guid.NewGuid(), "deal", id, "DealOpened", "{}", T0, "u1", new Cause(CauseKind.Manual))],
    };

    public static async Task PopulateAsync(ICrmStore store)
    {
        await store.CommitAsync(new StoreCommit(Acme, Commit1, T0)
        {
            Documents =
            [
                new DocumentWrite("deal", "d1", 0, "{\"id\":\"d1\",\"stage\":\"lead\"}", [new IndexEntry("owner", "u1"), new IndexEntry("stage", "lead")]),
                new DocumentWrite("client", "c1", 0, "{\"id\":\"c1\",\"name\":\"Ünïcode Ltd\"}", [new IndexEntry("email", "a@acme.test")]),
            ],
            UniqueKeys = [new UniqueKeyChange("client-email", "a@acme.test", "c1"), new UniqueKeyChange("client-phone", "+100", "c1")],
            Events =
            [
                new JournalAppend(Events[0], "client", "c1", "ClientRegistered", "{\"n\":1}", T0, "u1", new Cause(CauseKind.Manual)),
                new JournalAppend(Events[1], "deal", "d1", "DealOpened", "{\"n\":2}", T0 - Duration.FromDays(400), null, new Cause(CauseKind.Import, "old-crm", "row 7")),
            ],
            TimersToSet =
            [
                new ScheduledTimer("t-due", Acme, T0 + Duration.FromHours(1), "reminder", "{\"task\":\"k1\"}"),
                new ScheduledTimer("t-later", Acme, T0 + Duration.FromDays(30), "sla", "{\"deal\":\"d1\"}"),
            ],
        });
        await store.CommitAsync(new StoreCommit(Acme, Commit2, T0 + Duration.FromMinutes(5))
        {
            Documents = [new DocumentWrite("deal", "d1", 1, "{\"id\":\"d1\",\"stage\":\"won\"}", [new IndexEntry("owner", "u1"), new IndexEntry("stage", "won")])],
            UniqueKeys = [new UniqueKeyChange("client-phone", "+100", "c1", Release: true)],
            Events = [new JournalAppend(Events[2], "deal", "d1", "DealWon", "{\"n\":3}", T0 + Duration.FromMinutes(5), null, new Cause(CauseKind.Rule, "rule-1", "auto-win"))],
        });
        await store.CommitAsync(new StoreCommit(Globex, Commit3, T0 + Duration.FromMinutes(6))
        {
            Documents = [new DocumentWrite("deal", "d1", 0, "{\"id\":\"d1\",\"tenant\":\"globex\"}", [new IndexEntry("stage", "lead")])],
            Events = [new JournalAppend(Events[3], "deal", "d1", "DealOpened", "{\"n\":4}", T0 + Duration.FromMinutes(6), "g1", new Cause(CauseKind.Manual))],
        });

        // One claim of the due timer, leased for ten minutes; and a consumer's lease held by host-a for an hour.
        var claimed = await store.ClaimDueTimersAsync(T0 + Duration.FromHours(2), Duration.FromMinutes(10), 10);
        Assert.Equal("t-due", Assert.Single(claimed).Timer.Id);
        Assert.True(await store.TryClaimConsumerAsync(Acme, "projector", "host-a", T0, Duration.FromHours(1)));
    }

    public static async Task AssertContentAsync(ICrmStore store)
    {
        var d1 = await store.LoadAsync(Acme, "deal", "d1");
        Assert.Equal(new StoredDocument("deal", "d1", 2, "{\"id\":\"d1\",\"stage\":\"won\"}"), d1);
        Assert.Equal(new StoredDocument("client", "c1", 1, "{\"id\":\"c1\",\"name\":\"Ünïcode Ltd\"}"), await store.LoadAsync(Acme, "client", "c1"));
        Assert.Equal(new StoredDocument("deal", "d1", 1, "{\"id\":\"d1\",\"tenant\":\"globex\"}"), await store.LoadAsync(Globex, "deal", "d1"));
        Assert.Null(await store.LoadAsync(Acme, "deal", "d2"));

        // Index entries replaced by the update: the old one is gone, the new one found.
        Assert.Empty(await store.QueryAsync(Acme, "deal", new IndexEntry("stage", "lead")).ToListAsync());
        Assert.Equal(["d1"], await store.QueryAsync(Acme, "deal", new IndexEntry("stage", "won")).Select(d => d.Id).ToListAsync());
        Assert.Equal(["d1"], await store.QueryAsync(Globex, "deal", new IndexEntry("stage", "lead")).Select(d => d.Id).ToListAsync());
        Assert.Equal(["c1"], await store.QueryAsync(Acme, "client").Select(d => d.Id).ToListAsync());

        Assert.Equal("c1", await store.FindUniqueKeyOwnerAsync(Acme, "client-email", "a@acme.test"));
        Assert.Null(await store.FindUniqueKeyOwnerAsync(Acme, "client-phone", "+100"));
        Assert.Null(await store.FindUniqueKeyOwnerAsync(Globex, "client-email", "a@acme.test"));

        var acme = await store.ReadJournalAsync(Acme, 0, 100).ToListAsync();
        Assert.Equal([1L, 2L, 3L], acme.Select(r => r.Position));
        Assert.Equal([Commit1, Commit1, Commit2], acme.Select(r => r.CommitId));
        Assert.Equal([T0, T0, T0 + Duration.FromMinutes(5)], acme.Select(r => r.RecordedAt));
        Assert.Equal(new JournalAppend(Events[0], "client", "c1", "ClientRegistered", "{\"n\":1}", T0, "u1", new Cause(CauseKind.Manual)), acme[0].Event);
        Assert.Equal(new JournalAppend(Events[1], "deal", "d1", "DealOpened", "{\"n\":2}", T0 - Duration.FromDays(400), null, new Cause(CauseKind.Import, "old-crm", "row 7")), acme[1].Event);
        Assert.Equal(new JournalAppend(Events[2], "deal", "d1", "DealWon", "{\"n\":3}", T0 + Duration.FromMinutes(5), null, new Cause(CauseKind.Rule, "rule-1", "auto-win")), acme[2].Event);
        Assert.Equal([3L], await store.ReadJournalAsync(Acme, 2, 100).Select(r => r.Position).ToListAsync());
        var globex = Assert.Single(await store.ReadJournalAsync(Globex, 0, 100).ToListAsync());
        Assert.Equal((1L, Commit3, Events[3], "g1"), (globex.Position, globex.CommitId, globex.Event.EventId, globex.Event.Actor));

        var timers = await store.ListTimersAsync(Acme).ToListAsync();
        Assert.Equal(
            [
                new ScheduledTimer("t-due", Acme, T0 + Duration.FromHours(1), "reminder", "{\"task\":\"k1\"}"),
                new ScheduledTimer("t-later", Acme, T0 + Duration.FromDays(30), "sla", "{\"deal\":\"d1\"}"),
            ],
            timers);
        Assert.Empty(await store.ListTimersAsync(Globex).ToListAsync());

        // The claim's lease is kept: not claimable before it runs out, then claimed again as the second attempt.
        Assert.Empty(await store.ClaimDueTimersAsync(T0 + Duration.FromHours(2) + Duration.FromMinutes(5), Duration.FromMinutes(10), 10));
        var again = Assert.Single(await store.ClaimDueTimersAsync(T0 + Duration.FromHours(3), Duration.FromMinutes(10), 10));
        Assert.Equal(("t-due", 2), (again.Timer.Id, again.Attempt));

        // The consumer's lease is kept: another host cannot take it before it runs out.
        Assert.False(await store.TryClaimConsumerAsync(Acme, "projector", "host-b", T0 + Duration.FromMinutes(30), Duration.FromHours(1)));
        Assert.True(await store.TryClaimConsumerAsync(Acme, "projector", "host-b", T0 + Duration.FromHours(2), Duration.FromHours(1)));

        // Each tenant's journal goes on from its head; a new tenant gets its own numbering.
        Assert.Equal(new CommitResult(4, 4), await store.CommitAsync(Deal(Acme, "d2")));
        Assert.Equal(new CommitResult(2, 2), await store.CommitAsync(Deal(Globex, "d2")));
        Assert.Equal(new CommitResult(1, 1), await store.CommitAsync(Deal(new TenantId("initech"), "d1")));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () =>
            await store.CommitAsync(new StoreCommit(Acme, Guid.NewGuid(), T0) { Documents = [new DocumentWrite("deal", "d1", 1, "{}", [])] }));
        await Assert.ThrowsAsync<DuplicateKeyException>(async () =>
            await store.CommitAsync(new StoreCommit(Acme, Guid.NewGuid(), T0) { UniqueKeys = [new UniqueKeyChange("client-email", "a@acme.test", "c2")] }));
    }
}
