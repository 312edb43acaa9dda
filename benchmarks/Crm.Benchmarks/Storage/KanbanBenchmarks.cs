using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// A Kanban board of 10,000 deals on SQLite (one page of 50 cards per column, counts and per-currency totals over all
/// deals), as an administrator and as a seller who owns 1,000 of them; the baseline lists the same deals without the
/// board's grouping and sorting.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class KanbanBenchmarks
{
    private string _dir = null!;
    private BenchKernel _kernel = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-kanban-").FullName;
        _kernel = BenchKernel.Open(Path.Combine(_dir, "kanban.db"), global::Crm.Storage.Sqlite.SqliteSynchronous.Off);
        _kernel.SeedAsync(0).GetAwaiter().GetResult();
        var admin = _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        for (var s = 0; s < 9; s++)
        {
            admin.Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("s" + s), "S" + s)).GetAwaiter().GetResult();
        }

        var client = admin.Clients.RegisterAsync(new NewClient("Board AS")).GetAwaiter().GetResult();
        var owners = new[] { BenchKernel.Seller }.Concat(Enumerable.Range(0, 9).Select(s => new UserId("s" + s))).ToArray();
        for (var batch = 0; batch < 100; batch++)
        {
            Task.WhenAll(Enumerable.Range(0, 100).Select(i => admin.Deals.OpenAsync(new NewDeal(client.Id, BenchKernel.Pipeline,
                Money.Of(100 + i, i % 10 == 0 ? "EUR" : "USD")) { Owner = owners[(batch * 100 + i) % owners.Length] }))).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<IReadOnlyList<Deal>> Admin_lists_10000_deals() =>
        _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin")).Deals.ListAsync(new DealQuery { Pipeline = BenchKernel.Pipeline });

    [Benchmark]
    public Task<KanbanBoard> Admin_board_of_10000_deals() =>
        _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin")).Deals.GetBoardAsync(BenchKernel.Pipeline);

    [Benchmark]
    public Task<KanbanBoard> Seller_board_of_own_1000_deals() =>
        _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller).Deals.GetBoardAsync(BenchKernel.Pipeline);
}
