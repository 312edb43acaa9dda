using Crm.Abstractions;
using Crm.Abstractions.Storage;
using NodaTime;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>
/// Issue 18: two stores (as two processes would) on one SQLite file. Each store's writer remembers journal heads and
/// record versions; after the other store commits, it must read them again instead of reusing positions already taken.
/// </summary>
public sealed class TwoStoresOnOneFileTests : IDisposable
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly TenantId Tenant = new("t");
    private readonly TempDirectory _directory = new();

    private SqliteCrmStore Open() => new(new SqliteStoreOptions { ConnectionString = $"Data Source={_directory.File("crm.db")}" });

    private static StoreCommit NewDeal(string id) => new(Tenant, Guid.NewGuid(), T0)
    {
        Documents = [new DocumentWrite("deal", id, 0, "{\"id\":\"" + id + "\"}", [])],
        Events = [new JournalAppend(Guid.NewGuid(), "deal", id, "DealOpened", "{}", T0, "u1", new Cause(CauseKind.Manual))],
    };

    private static async Task<List<JournalRecord>> JournalAsync(SqliteCrmStore store)
    {
        var records = new List<JournalRecord>();
        await foreach (var r in store.ReadJournalAsync(Tenant, 0, 100_000))
        {
            records.Add(r);
        }

        return records;
    }

    /// <summary>Guards the cached journal head: before the fix, a's third commit failed with UNIQUE constraint failed: journal.id.</summary>
    [Fact]
    public async Task Issue18_two_stores_taking_turns_append_after_each_others_events()
    {
        await using var a = Open();
        await using var b = Open();
        Assert.Equal(new CommitResult(1, 1), await a.CommitAsync(NewDeal("a1")));
        Assert.Equal(new CommitResult(2, 2), await a.CommitAsync(NewDeal("a2")));
        Assert.Equal(new CommitResult(3, 3), await b.CommitAsync(NewDeal("b1")));
        Assert.Equal(new CommitResult(4, 4), await a.CommitAsync(NewDeal("a3")));
        Assert.Equal(new CommitResult(5, 5), await b.CommitAsync(NewDeal("b2")));
        Assert.Equal(new CommitResult(6, 6), await b.CommitAsync(NewDeal("b3")));
        Assert.Equal(new CommitResult(7, 7), await a.CommitAsync(NewDeal("a4")));

        var journal = await JournalAsync(a);
        Assert.Equal(["a1", "a2", "b1", "a3", "b2", "b3", "a4"], journal.Select(r => r.Event.StreamId));
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), journal.Select(r => r.Position));
    }

    /// <summary>
    /// Guards the same under contention: every commit of both stores lands once, at its own position. In waves, because
    /// a writer waiting on SQLite's busy handler sleeps while the other takes the lock again and again: one wave alone
    /// mostly runs as "all of a, then all of b".
    /// </summary>
    [Fact]
    public async Task Issue18_two_stores_racing_on_one_file_lose_no_commit()
    {
        await using var a = Open();
        await using var b = Open();
        const int Waves = 10;
        const int PerStore = 30;
        var results = new List<CommitResult>();
        for (var wave = 0; wave < Waves; wave++)
        {
            var w = wave;
            results.AddRange(await Task.WhenAll(Enumerable.Range(0, PerStore).SelectMany(i => new[]
            {
                Task.Run(async () => await a.CommitAsync(NewDeal($"a{w}-{i}"))),
                Task.Run(async () => await b.CommitAsync(NewDeal($"b{w}-{i}"))),
            })));
        }

        const int Total = Waves * PerStore * 2;
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), results.Select(r => r.FirstPosition).Order());
        var journal = await JournalAsync(b);
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), journal.Select(r => r.Position));
        Assert.Equal(Total, journal.Select(r => r.Event.StreamId).Distinct().Count());
    }

    /// <summary>
    /// Guards the scheduler's side: a timer claimed by one store after the other appended events is fired (its
    /// completion commit appends an event) at once, instead of failing and waiting out its lease.
    /// </summary>
    [Fact]
    public async Task Issue18_a_timer_claimed_after_the_other_store_appended_fires_at_once()
    {
        await using var a = Open();
        await using var b = Open();
        await a.CommitAsync(NewDeal("d1") with { TimersToSet = [new ScheduledTimer("remind", Tenant, T0, "reminder", "{}")] });
        await b.CommitAsync(NewDeal("d2"));

        var claimed = Assert.Single(await a.ClaimDueTimersAsync(T0, Duration.FromMinutes(5), 10));
        var fired = new StoreCommit(Tenant, Guid.NewGuid(), T0)
        {
            TimersCompleted = [new TimerCompletion(claimed.Timer.Id, claimed.ClaimToken)],
            Events = [new JournalAppend(Guid.NewGuid(), "deal", "d1", "ReminderFired", "{}", T0, null, new Cause(CauseKind.System, "remind"))],
        };
        Assert.Equal(new CommitResult(3, 3), await a.CommitAsync(fired));

        await foreach (var timer in b.ListTimersAsync(Tenant))
        {
            Assert.Fail($"timer {timer.Id} is still pending");
        }

        Assert.Equal(["DealOpened", "DealOpened", "ReminderFired"], (await JournalAsync(b)).Select(r => r.Event.EventType));
    }

    /// <summary>Guards the bounded wait for another process's write lock: a typed error naming the file, then work resumes.</summary>
    [Fact]
    public async Task Issue18_a_write_lock_held_by_another_connection_fails_a_commit_after_the_bounded_wait()
    {
        var path = _directory.File("crm.db");
        await using var store = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={path}", BusyTimeout = TimeSpan.FromMilliseconds(300) });
        await store.CommitAsync(NewDeal("d0"));
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "BEGIN IMMEDIATE;";
            command.ExecuteNonQuery();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<SqliteStoreBusyException>(async () => await store.CommitAsync(NewDeal("d1")));
            Assert.Equal(path, error.Path);
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));
            command.CommandText = "ROLLBACK;";
            command.ExecuteNonQuery();
        }

        Assert.Null(await store.LoadAsync(Tenant, "deal", "d1"));
        Assert.Equal(new CommitResult(2, 2), await store.CommitAsync(NewDeal("d2")));
    }

    public void Dispose() => _directory.Dispose();
}
