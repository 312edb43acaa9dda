using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// 20,000 due timers on PostgreSQL fired by 4 kernel hosts at once (each its own provider, store and pool; claims with
/// <c>FOR UPDATE SKIP LOCKED</c> and a lease, 100 per claim, 10 per commit), against 4 connections running the raw
/// <c>DELETE … WHERE (tenant, id) IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)</c> loop on a table of the same shape,
/// with n = 100 and n = 1. The timers are of a kind with no handler, so the kernel's work per timer is claim, unit of
/// work, completion by claim token and commit. Each iteration loads the timers afresh with binary COPY.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PostgreSqlTimerBenchmarks
{
    private const int Timers = 20_000;
    private const int Hosts = 4;
    private static readonly Instant Due = Instant.FromUtc(2026, 1, 1, 0, 0);
    private string _database = null!;
    private ServiceProvider[] _hosts = null!;
    private NpgsqlDataSource _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        _database = PostgresBench.CreateDatabase();
        _hosts = Enumerable.Range(0, Hosts).Select(_ => PostgresBench.Host(_database)).ToArray();
        foreach (var host in _hosts)
        {
            _ = host.GetRequiredService<CrmKernel>(); // opens the store (and migrates once)
        }

        _raw = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_database) { SearchPath = "crm" }.ConnectionString);
        using var create = _raw.CreateCommand("CREATE TABLE raw_timers (LIKE timers INCLUDING ALL)");
        create.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        PostgresBench.DropDatabase(_database);
    }

    [IterationSetup(Target = nameof(Kernel_4_hosts_RunDueAsync))]
    public void LoadKernelTimers() => Load("timers");

    [IterationSetup(Targets = [nameof(Raw_delete_skip_locked_batches_of_100), nameof(Raw_delete_skip_locked_one_at_a_time)])]
    public void LoadRawTimers() => Load("raw_timers");

    [Benchmark(Baseline = true, OperationsPerInvoke = Timers)]
    public Task Raw_delete_skip_locked_batches_of_100() => RawAsync(100);

    [Benchmark(OperationsPerInvoke = Timers)]
    public Task Raw_delete_skip_locked_one_at_a_time() => RawAsync(1);

    [Benchmark(OperationsPerInvoke = Timers)]
    public async Task Kernel_4_hosts_RunDueAsync()
    {
        var runs = await Task.WhenAll(_hosts.Select(h => Task.Run(() => h.GetRequiredService<CrmKernel>().Scheduler.RunDueAsync(Due + Duration.FromDays(1)))));
        if (runs.Sum(r => r.Fired) != Timers)
        {
            throw new InvalidOperationException($"fired {runs.Sum(r => r.Fired)} of {Timers}");
        }
    }

    private async Task RawAsync(int batch)
    {
        var deleted = await Task.WhenAll(Enumerable.Range(0, Hosts).Select(_ => Task.Run(async () =>
        {
            await using var connection = await _raw.OpenConnectionAsync();
            await using var delete = new NpgsqlCommand(
                "DELETE FROM raw_timers WHERE (tenant, id) IN (SELECT tenant, id FROM raw_timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)", connection);
            delete.Parameters.Add(new NpgsqlParameter { Value = (Due + Duration.FromDays(1)).ToUnixTimeTicks() });
            delete.Parameters.Add(new NpgsqlParameter { Value = batch });
            var total = 0;
            while (true)
            {
                var rows = await delete.ExecuteNonQueryAsync();
                if (rows == 0)
                {
                    return total;
                }

                total += rows;
            }
        })));
        if (deleted.Sum() != Timers)
        {
            throw new InvalidOperationException($"deleted {deleted.Sum()} of {Timers}");
        }
    }

    private void Load(string table)
    {
        using var connection = _raw.OpenConnection();
        using (var truncate = new NpgsqlCommand($"TRUNCATE {table}", connection))
        {
            truncate.ExecuteNonQuery();
        }

        using (var importer = connection.BeginBinaryImport($"COPY {table}(tenant, id, due_at, kind, payload) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < Timers; i++)
            {
                importer.StartRow();
                importer.Write("bench", NpgsqlDbType.Text);
                importer.Write("t" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                importer.Write((Due + Duration.FromSeconds(i)).ToUnixTimeTicks(), NpgsqlDbType.Bigint);
                importer.Write("bench-noop", NpgsqlDbType.Text);
                importer.Write("", NpgsqlDbType.Text);
            }

            importer.Complete();
        }

        using var analyze = new NpgsqlCommand($"ANALYZE {table}", connection);
        analyze.ExecuteNonQuery();
    }
}
