using System.Diagnostics;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// A paired run for quick checks and profilers (<c>-- --pg-loop [rounds] [clients]</c> with <c>CRM_TEST_POSTGRES</c>
/// set): round after round, 200 <c>Deals.SetFieldAsync</c> commands through the kernel and then 200 raw Npgsql
/// transactions writing the same number of rows (counted from the kernel's commits at set-up, one single-row INSERT per
/// row), both from the same number of concurrent clients on the same server, so both see the same load. Two more lanes
/// split the cost: the store alone (commits of the same shape built by hand) and the raw rows sent as one batch per
/// transaction, as the store sends its commits. Prints the medians per command and the median of the per-round ratios.
/// </summary>
internal static class PostgreSqlDealCommandLoop
{
    private const int Commands = 200;

    public static async Task RunAsync(int rounds, int clients)
    {
        var database = PostgresBench.CreateDatabase();
        try
        {
            await using var provider = PostgresBench.CountingHost(database, out var counting);
            var kernel = provider.GetRequiredService<CrmKernel>();
            var deals = await PostgresBench.SeedAsync(kernel, Commands);
            var payload = new string('x', 400);
            await using var raw = NpgsqlDataSource.Create(database);
            await using (var create = raw.CreateCommand("CREATE TABLE raw_rows(id bigserial PRIMARY KEY, tenant text, kind text, payload text)"))
            {
                await create.ExecuteNonQueryAsync();
            }

            var round = 0;
            Task Kernel() => PostgresBench.RunClientsAsync(clients, Commands, async (first, count) =>
            {
                var session = kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
                var value = Interlocked.Increment(ref round).ToString(System.Globalization.CultureInfo.InvariantCulture);
                for (var i = first; i < first + count; i++)
                {
                    await session.Deals.SetFieldAsync(deals[i], "note", value);
                }
            });

            var (commits, rows) = (counting.Commits, counting.Rows);
            await Kernel();
            var rowsPerCommand = (int)((counting.Rows - rows) / (counting.Commits - commits));

            Task Raw() => PostgresBench.RunClientsAsync(clients, Commands, (_, count) => PostgresBench.RawTransactionsAsync(raw, payload, rowsPerCommand, count));

            // The store alone: the same commit shape (one document rewritten at its version, one event, two read checks)
            // built by hand, to split the kernel's own cost from the store's.
            await using var store = new Crm.Storage.PostgreSql.PostgreSqlCrmStore(new Crm.Storage.PostgreSql.PostgreSqlStoreOptions { ConnectionString = database, Schema = "store_lane" });
            var tenant = new Crm.Abstractions.TenantId("lane");
            var json = new string('j', 600);
            var versions = new long[Commands];
            await store.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), NodaTime.SystemClock.Instance.GetCurrentInstant())
            {
                Documents = [new DocumentWrite("user", "u", 0, json, [])],
            });
            Task Store() => PostgresBench.RunClientsAsync(clients, Commands, async (first, count) =>
            {
                for (var i = first; i < first + count; i++)
                {
                    var now = NodaTime.SystemClock.Instance.GetCurrentInstant();
                    await store.CommitAsync(new StoreCommit(tenant, Guid.CreateVersion7(), now)
                    {
                        Documents = [new DocumentWrite("deal", "d" + i, versions[i], json, []) { IndexesChanged = false }],
                        Events = [new JournalAppend(Guid.CreateVersion7(), "deal", "d" + i, "DealFieldSet", new string('p', 200), now, "seller", Crm.Abstractions.Cause.Manual)],
                        ReadChecks = [new DocumentVersionCheck("rulebook", "r", 0), new DocumentVersionCheck("user", "u", 1)],
                    });
                    versions[i]++;
                }
            });

            // The raw rows again, but as the store sends a commit: one batch (BEGIN, the inserts, COMMIT) in one round
            // trip on a pooled connection opened per transaction, with the store's connection settings.
            await using var batched = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database) { NoResetOnClose = true, MaxAutoPrepare = 32 }.ConnectionString);
            Task RawBatch() => PostgresBench.RunClientsAsync(clients, Commands, async (_, count) =>
            {
                for (var i = 0; i < count; i++)
                {
                    await using var connection = await batched.OpenConnectionAsync();
                    await using var batch = new NpgsqlBatch(connection);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                    for (var r = 0; r < rowsPerCommand; r++)
                    {
                        var c = new NpgsqlBatchCommand("INSERT INTO raw_rows(tenant, kind, payload) VALUES($1, 'deal', $2)");
                        c.Parameters.Add(new NpgsqlParameter { Value = "bench" });
                        c.Parameters.Add(new NpgsqlParameter { Value = payload });
                        batch.BatchCommands.Add(c);
                    }

                    batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                    await using var reader = await batch.ExecuteReaderAsync();
                    while (await reader.NextResultAsync())
                    {
                    }
                }
            });

            Console.WriteLine($"rows per command, kernel and raw alike: {rowsPerCommand}; {clients} client(s); {rounds} rounds of {Commands} commands");
            var warmUp = Math.Max(1, rounds / 4);
            var kernelTimes = new List<double>();
            var rawTimes = new List<double>();
            var ratios = new List<double>();
            var storeTimes = new List<double>();
            var rawBatchTimes = new List<double>();
            for (var r = 0; r < warmUp + rounds; r++)
            {
                var k = await TimeAsync(Kernel);
                var w = await TimeAsync(Raw);
                var st = await TimeAsync(Store);
                var rb = await TimeAsync(RawBatch);
                if (r >= warmUp)
                {
                    rawBatchTimes.Add(rb);
                    storeTimes.Add(st);
                    kernelTimes.Add(k);
                    rawTimes.Add(w);
                    ratios.Add(w / k);
                }
            }

            Console.WriteLine(FormattableString.Invariant(
                $"raw {Median(rawTimes):F1} µs, kernel {Median(kernelTimes):F1} µs, the store alone {Median(storeTimes):F1} µs, raw batch {Median(rawBatchTimes):F1} µs per command; kernel rows/s ÷ raw rows/s median {Median(ratios):F2} (quartiles {Quantile(ratios, 0.25):F2}–{Quantile(ratios, 0.75):F2})"));
        }
        finally
        {
            PostgresBench.DropDatabase(database);
        }
    }

    private static async Task<double> TimeAsync(Func<Task> run)
    {
        var clock = Stopwatch.StartNew();
        await run();
        return clock.Elapsed.TotalMicroseconds / Commands;
    }


    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(q * (sorted.Count - 1))];
    }
}
