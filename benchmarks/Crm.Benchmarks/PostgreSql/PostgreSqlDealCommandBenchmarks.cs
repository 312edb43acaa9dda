using BenchmarkDotNet.Attributes;
using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// Deal commands through the kernel on the PostgreSQL store at 1 and 8 concurrent clients, against raw Npgsql
/// transactions of single-row INSERTs of ~400-byte rows, as many rows per transaction as a kernel command writes
/// (counted from its commits at set-up: <see cref="RowsPerCommand"/>, 2 for this command), from as many connections,
/// on the same server in the same run. The command is <c>Deals.SetFieldAsync</c>: the user, the deal and the rule book
/// come from the kernel's cache, and it commits the deal document (version-checked) plus one journal event (with the
/// tenant's head row) and the version checks of what it read. Each client works on its own deals, so the kernel's
/// commits conflict only on the tenant's journal head (which orders them). Thirty warm-up iterations: the kernel side
/// takes some ten thousand commands to reach its steady state (JIT tiers, the server's plans and pages), and with the
/// default five BenchmarkDotNet was still measuring it getting faster.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(30)]
public class PostgreSqlDealCommandBenchmarks
{
    private const int Commands = 200;
    private string _database = null!;
    private ServiceProvider _host = null!;
    private CrmKernel _kernel = null!;
    private IReadOnlyList<DealId> _deals = null!;
    private NpgsqlDataSource _raw = null!;
    private readonly string _payload = new('x', 400);
    private int _round;

    /// <summary>Rows one kernel command writes (documents, index entries, journal events, keys, timers).</summary>
    public int RowsPerCommand { get; private set; }

    [Params(1, 8)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _database = PostgresBench.CreateDatabase();
        _host = PostgresBench.CountingHost(_database, out var counting);
        _kernel = _host.GetRequiredService<CrmKernel>();
        _deals = PostgresBench.SeedAsync(_kernel, Commands).GetAwaiter().GetResult();
        var (commits, rows) = (counting.Commits, counting.Rows);
        Kernel_SetField().GetAwaiter().GetResult();
        RowsPerCommand = (int)((counting.Rows - rows) / (counting.Commits - commits));
        _raw = NpgsqlDataSource.Create(_database);
        using var create = _raw.CreateCommand("CREATE TABLE raw_rows(id bigserial PRIMARY KEY, tenant text, kind text, payload text)");
        create.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        _host.Dispose();
        PostgresBench.DropDatabase(_database);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands)]
    public Task Raw_Npgsql_single_row_insert_transactions() =>
        RunClientsAsync((_, count) => PostgresBench.RawTransactionsAsync(_raw, _payload, RowsPerCommand, count));

    [Benchmark(OperationsPerInvoke = Commands)]
    public Task Kernel_SetField() => RunClientsAsync(async (first, count) =>
    {
        var session = _kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var value = Interlocked.Increment(ref _round).ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = first; i < first + count; i++)
        {
            await session.Deals.SetFieldAsync(_deals[i], "note", value);
        }
    });

    private Task RunClientsAsync(Func<int, int, Task> client) => PostgresBench.RunClientsAsync(Clients, Commands, client);
}
