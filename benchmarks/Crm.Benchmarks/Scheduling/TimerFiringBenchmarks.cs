using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Benchmarks.Scheduling;

/// <summary>
/// 100,000 due timers on SQLite (WAL, synchronous=FULL): fired by the kernel's scheduler (claim with a lease, fire in
/// due order, complete in the unit of work; 10 timers per commit by default, and 1 per commit) against a raw
/// claim-and-delete loop over the same table (one timer per transaction, and 100 per transaction). The timers are of a
/// kind with no handler, so the kernel's work is the claim + unit of work + completion; each iteration starts from a
/// copy of the same database.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class TimerFiringBenchmarks
{
    private const int Timers = 100_000;
    private static readonly Instant Due = Instant.FromUtc(2026, 1, 1, 0, 0);
    private string _dir = null!;
    private string _template = null!;
    private string _current = null!;
    private BenchKernel? _kernel;

    [Params(10, 1)]
    public int CommitGroup { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-timers-").FullName;
        _template = Path.Combine(_dir, "template.db");
        var store = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={_template}", Synchronous = SqliteSynchronous.Off });
        var tenant = new TenantId("bench");
        for (var batch = 0; batch < Timers / 1000; batch++)
        {
            store.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), Due)
            {
                TimersToSet = Enumerable.Range(batch * 1000, 1000).Select(i => new ScheduledTimer("t" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), tenant, Due + Duration.FromSeconds(i), "bench-noop", "")).ToArray(),
            }).AsTask().GetAwaiter().GetResult();
        }

        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
    }

    [IterationSetup]
    public void Copy()
    {
        _current = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db");
        File.Copy(_template, _current);
    }

    [IterationCleanup]
    public void Remove()
    {
        if (_kernel is not null)
        {
            Console.WriteLine($"// commits per timer fired: {(double)_kernel.Store.Commits / Timers:0.###}, claims: {_kernel.Store.Claims}");
            _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _kernel = null;
        }

        SqliteConnection.ClearAllPools();
        File.Delete(_current);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(OperationsPerInvoke = Timers)]
    public async Task Kernel_scheduler_RunDueAsync()
    {
        _kernel = BenchKernel.Open(_current, SqliteSynchronous.Full, o => o.TimerCommitGroup = CommitGroup);
        var run = await _kernel.Kernel.Scheduler.RunDueAsync(Due + Duration.FromDays(10));
        if (run.Fired != Timers)
        {
            throw new InvalidOperationException($"fired {run.Fired} of {Timers}");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Timers)]
    public void Raw_claim_and_delete_loop()
    {
        // CommitGroup 10 → batches of 100 per transaction; CommitGroup 1 → one timer per transaction.
        var batch = CommitGroup == 1 ? 1 : 100;
        using var connection = new SqliteConnection($"Data Source={_current}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
            pragma.ExecuteNonQuery();
        }

        using var select = connection.CreateCommand();
        select.CommandText = "SELECT tenant, id FROM timers WHERE due_at <= $now ORDER BY due_at LIMIT $n";
        select.Parameters.AddWithValue("$now", (Due + Duration.FromDays(10)).ToUnixTimeTicks());
        select.Parameters.AddWithValue("$n", batch);
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM timers WHERE tenant=$t AND id=$i";
        var t = delete.Parameters.Add(new SqliteParameter("$t", ""));
        var id = delete.Parameters.Add(new SqliteParameter("$i", ""));
        var fired = 0;
        while (true)
        {
            using var transaction = connection.BeginTransaction();
            select.Transaction = transaction;
            delete.Transaction = transaction;
            var claimed = new List<(string, string)>(batch);
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            if (claimed.Count == 0)
            {
                break;
            }

            foreach (var (tenant, timer) in claimed)
            {
                t.Value = tenant;
                id.Value = timer;
                delete.ExecuteNonQuery();
            }

            transaction.Commit();
            fired += claimed.Count;
        }

        if (fired != Timers)
        {
            throw new InvalidOperationException($"deleted {fired} of {Timers}");
        }
    }
}
