using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Crm.Abstractions;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// Deal commands through the kernel on the SQLite store (WAL, synchronous=FULL) side by side with a raw prepared-INSERT
/// loop writing the same number of rows per command at the same setting: one command per transaction, and 100
/// commands issued at once (the store's group commit folds them into one transaction) against 100 commands' rows in one
/// raw transaction. The command is <c>Deals.SetFieldAsync</c>: it reads the user, the deal and the rule book (from the
/// kernel's cache once warm, version-checked at commit) and writes the deal document and one journal row (its index
/// rows are unchanged, so not rewritten). The raw loop inserts as many rows per command as the kernel's commits write,
/// counted at set-up (<see cref="RowsPerCommand"/>), so both sides write the same number of rows. Fifteen warm-up
/// iterations: the kernel side reaches its steady state only after some tens of thousands of commands (JIT tiers).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(15)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SqliteDealCommandBenchmarks
{
    private const int Commands = 100;
    private string _dir = null!;
    private BenchKernel _kernel = null!;
    private IReadOnlyList<DealId> _deals = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _insert = null!;
    private long _rawId;
    private int _round;

    /// <summary>Rows one kernel command writes (counted at set-up); the raw loop writes as many per command.</summary>
    public int RowsPerCommand { get; private set; }

    /// <summary>
    /// The store's <see cref="Crm.Storage.Sqlite.SqliteStoreOptions.WriterSpin"/> in microseconds: 0 (the writer sleeps as
    /// soon as the queue is empty) against the default, side by side.
    /// </summary>
    [Params(0, 200)]
    public int WriterSpinMicroseconds { get; set; } = 200;

    /// <summary>For the profiling loop: the kernel on the in-memory store (its own cost without SQLite).</summary>
    internal bool InMemory { get; init; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-bench-").FullName;
        _kernel = InMemory ? BenchKernel.OpenInMemory() : BenchKernel.Open(Path.Combine(_dir, "kernel.db"),
            store: o => o.WriterSpin = TimeSpan.FromMicroseconds(WriterSpinMicroseconds));
        _deals = _kernel.SeedAsync(Commands).GetAwaiter().GetResult();
        var rows = _kernel.Store.Rows;
        Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult();
        RowsPerCommand = (int)((_kernel.Store.Rows - rows) / Commands);
        _raw = new SqliteConnection($"Data Source={Path.Combine(_dir, "raw.db")}");
        _raw.Open();
        using (var pragma = _raw.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE rows(id INTEGER PRIMARY KEY, tenant TEXT, kind TEXT, name TEXT, value TEXT, payload TEXT);";
            pragma.ExecuteNonQuery();
        }

        _insert = _raw.CreateCommand();
        _insert.CommandText = "INSERT INTO rows(id, tenant, kind, name, value, payload) VALUES($id, 'bench', 'deal', 'owner', 'seller', $payload)";
        _insert.Parameters.Add(new SqliteParameter("$id", 0L));
        _insert.Parameters.Add(new SqliteParameter("$payload", new string('x', 400)));
        _insert.Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _insert.Dispose();
        _raw.Dispose();
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands)]
    [BenchmarkCategory("one command per transaction")]
    public void Raw_insert_loop_one_transaction_per_command()
    {
        for (var c = 0; c < Commands; c++)
        {
            using var transaction = _raw.BeginTransaction();
            _insert.Transaction = transaction;
            WriteRows(RowsPerCommand);
            transaction.Commit();
        }
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    [BenchmarkCategory("one command per transaction")]
    public async Task Kernel_SetField_one_at_a_time()
    {
        var session = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var value = (++_round).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var deal in _deals)
        {
            await session.Deals.SetFieldAsync(deal, "note", value);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands)]
    [BenchmarkCategory("100 commands per transaction")]
    public void Raw_insert_loop_100_commands_per_transaction()
    {
        using var transaction = _raw.BeginTransaction();
        _insert.Transaction = transaction;
        WriteRows(RowsPerCommand * Commands);
        transaction.Commit();
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    [BenchmarkCategory("100 commands per transaction")]
    public async Task Kernel_SetField_100_at_once_group_commit()
    {
        var session = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var value = (++_round).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Task.WhenAll(_deals.Select(deal => session.Deals.SetFieldAsync(deal, "note", value)));
    }

    private void WriteRows(int rows)
    {
        for (var r = 0; r < rows; r++)
        {
            _insert.Parameters[0].Value = ++_rawId;
            _insert.ExecuteNonQuery();
        }
    }
}
