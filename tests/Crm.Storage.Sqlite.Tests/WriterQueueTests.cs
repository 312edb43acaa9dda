using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>
/// The writer's queue (issue 19, point 7): order, cancellation of a queued request, and failures that leave the queue
/// working. The writer is held by another connection holding the file's write lock, as another process would.
/// </summary>
public sealed class WriterQueueTests : IDisposable
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly TenantId Tenant = new("t");

    /// <summary>Long enough for the writer thread to have taken a queued request and be waiting for the lock.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly TempDirectory _directory = new();

    private SqliteCrmStore Open(TimeSpan busyTimeout, int group = 100) => new(new SqliteStoreOptions
    {
        ConnectionString = $"Data Source={_directory.File("crm.db")}",
        BusyTimeout = busyTimeout,
        MaxGroupCommitSize = group,
    });

    private static StoreCommit Deal(string id, long expected = 0, int n = 0) => new(Tenant, Guid.NewGuid(), T0)
    {
        Documents = [new DocumentWrite("deal", id, expected, "{\"id\":\"" + id + "\"}", [])],
        Events = [new JournalAppend(Guid.NewGuid(), "deal", id, "DealOpened", "{\"n\":" + n + "}", T0, "u1", new Cause(CauseKind.Manual))],
    };

    /// <summary>Holds the file's write lock until disposed, as a writer in another process would.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var connection = new SqliteConnection($"Data Source={_directory.File("crm.db")};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE;";
        begin.ExecuteNonQuery();
        return connection;
    }

    [Fact]
    public async Task Issue19_a_commit_cancelled_while_queued_fails_at_once_and_writes_nothing_while_the_others_land()
    {
        // Groups of one: the writer, waiting for the lock with "a", cannot have taken "b" along with it.
        await using var store = Open(TimeSpan.FromSeconds(60), group: 1);
        Task<CommitResult> first, third;
        Task<CommitResult> second;
        using (var cancel = new CancellationTokenSource())
        using (HoldWriteLock())
        {
            first = store.CommitAsync(Deal("a", n: 1)).AsTask();
            await Task.Delay(Settle); // the writer has taken "a" and waits for the lock
            second = store.CommitAsync(Deal("b", n: 2), cancel.Token).AsTask();
            third = store.CommitAsync(Deal("c", n: 3)).AsTask();
            await cancel.CancelAsync();

            // The cancelled commit is done before the writer could reach it; the others still wait for the lock.
            Assert.Same(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(10))));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
            Assert.False(first.IsCompleted);
            Assert.False(third.IsCompleted);
        }

        Assert.Equal(new CommitResult(1, 1), await first);
        Assert.Equal(new CommitResult(2, 2), await third);
        Assert.Null(await store.LoadAsync(Tenant, "deal", "b"));
        Assert.Equal(["a", "c"], await store.ReadJournalAsync(Tenant, 0, 100).Select(r => r.Event.StreamId).ToListAsync());
    }

    [Fact]
    public async Task Issue19_a_token_cancelled_after_the_writer_took_the_commit_does_not_undo_it()
    {
        // Once taken, a commit runs to its outcome: the caller is told the truth, never "cancelled" for a commit that landed.
        await using var store = Open(TimeSpan.FromSeconds(60));
        Task<CommitResult> commit;
        using (var cancel = new CancellationTokenSource())
        {
            using (HoldWriteLock())
            {
                commit = store.CommitAsync(Deal("a"), cancel.Token).AsTask();
                await Task.Delay(Settle);
                await cancel.CancelAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(100));
                Assert.False(commit.IsCompleted);
            }

            Assert.Equal(new CommitResult(1, 1), await commit);
        }

        Assert.Equal(1, (await store.LoadAsync(Tenant, "deal", "a"))!.Version);
    }

    [Fact]
    public async Task Issue19_a_token_cancelled_before_the_call_queues_nothing()
    {
        await using var store = Open(TimeSpan.FromSeconds(10));
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.CommitAsync(Deal("a"), cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.ClaimDueTimersAsync(T0, Duration.FromMinutes(1), 10, cancel.Token));
        Assert.Equal(new CommitResult(1, 1), await store.CommitAsync(Deal("b")));
        Assert.Null(await store.LoadAsync(Tenant, "deal", "a"));
    }

    [Fact]
    public async Task Issue19_commits_queued_by_one_caller_land_in_the_order_they_were_queued()
    {
        // Small groups, so the 300 commits span many transactions, and the writer held at first so they all queue.
        await using var store = Open(TimeSpan.FromSeconds(60), group: 7);
        var commits = new List<Task<CommitResult>>();
        using (HoldWriteLock())
        {
            for (var i = 0; i < 300; i++)
            {
                commits.Add(store.CommitAsync(Deal($"d{i}", n: i)).AsTask());
                if (i == 0)
                {
                    await Task.Delay(Settle);
                }
            }
        }

        var results = await Task.WhenAll(commits);
        Assert.Equal(Enumerable.Range(1, 300).Select(p => new CommitResult(p, p)), results);
        var journal = await store.ReadJournalAsync(Tenant, 0, 1000).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => "{\"n\":" + i + "}"), journal.Select(r => r.Event.Payload));
    }

    [Fact]
    public async Task Issue19_failed_commits_and_a_batch_failed_by_a_held_lock_do_not_poison_the_queue()
    {
        await using var store = Open(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new CommitResult(1, 1), await store.CommitAsync(Deal("d0")));

        // The whole batch fails: another connection held the lock beyond the bounded wait.
        using (HoldWriteLock())
        {
            await Assert.ThrowsAsync<SqliteStoreBusyException>(async () => await store.CommitAsync(Deal("busy")));
        }

        // The writer goes on from the right journal head; a burst where every fifth commit conflicts lands the rest in order.
        Assert.Equal(new CommitResult(2, 2), await store.CommitAsync(Deal("d1")));
        var burst = Enumerable.Range(0, 50)
            .Select(i => store.CommitAsync(i % 5 == 0 ? Deal("d0", expected: 7) : Deal($"e{i}", n: i)).AsTask())
            .ToList();
        await Task.WhenAll(burst.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        for (var i = 0; i < 50; i++)
        {
            if (i % 5 == 0)
            {
                Assert.IsType<ConcurrencyConflictException>(burst[i].Exception?.InnerException);
            }
            else
            {
                Assert.True(burst[i].IsCompletedSuccessfully);
            }
        }

        Assert.Equal(Enumerable.Range(3, 40).Select(p => (long)p), burst.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result.FirstPosition));
        Assert.Null(await store.LoadAsync(Tenant, "deal", "busy"));
        Assert.Equal(new CommitResult(43, 43), await store.CommitAsync(Deal("last")));
        Assert.Equal(43, await store.ReadJournalAsync(Tenant, 0, 1000).CountAsync());
    }

    public void Dispose() => _directory.Dispose();
}
