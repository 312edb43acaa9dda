using BenchmarkDotNet.Attributes;
using Crm.Abstractions;
using Crm.Kernel.Invoicing;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// Stock per invoice on the SQLite store (WAL, synchronous=FULL): issuing an invoice of one stock-tracked line (reserves)
/// and paying it (writes off), through the kernel, against a raw loop doing the same two stock-row updates, each in its
/// own transaction (baseline, same run). Invoices are created in the set-up of each iteration's pool, not measured.
/// Run: <c>dotnet run -c Release --project benchmarks/Crm.Benchmarks -- --filter '*StockInvoice*'</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class StockInvoiceBenchmarks
{
    private const int Invoices = 50;
    private string _dir = null!;
    private BenchKernel _kernel = null!;
    private IReadOnlyList<DealId> _deals = null!;
    private List<InvoiceId> _pending = [];
    private SqliteConnection _raw = null!;
    private SqliteCommand _reserve = null!;
    private SqliteCommand _writeOff = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-bench-").FullName;
        _kernel = BenchKernel.Open(Path.Combine(_dir, "kernel.db"));
        _deals = _kernel.SeedAsync(Invoices).GetAwaiter().GetResult();
        var admin = _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        admin.Products.DefineAsync("desk", "Desk", Money.Of(100m, "USD")).GetAwaiter().GetResult();
        admin.Stock.DefineWarehouseAsync("main", "Main").GetAwaiter().GetResult();
        admin.Stock.LogReceiptAsync("desk", "main", 1_000_000m).GetAwaiter().GetResult();
        _raw = new SqliteConnection($"Data Source={Path.Combine(_dir, "raw.db")}");
        _raw.Open();
        using (var pragma = _raw.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE stock(id TEXT PRIMARY KEY, on_hand REAL, reserved REAL); INSERT INTO stock VALUES('main|desk', 1000000, 0);";
            pragma.ExecuteNonQuery();
        }

        _reserve = _raw.CreateCommand();
        _reserve.CommandText = "UPDATE stock SET reserved = reserved + 1 WHERE id = 'main|desk' AND on_hand - reserved >= 1";
        _reserve.Prepare();
        _writeOff = _raw.CreateCommand();
        _writeOff.CommandText = "UPDATE stock SET reserved = reserved - 1, on_hand = on_hand - 1 WHERE id = 'main|desk'";
        _writeOff.Prepare();
    }

    [IterationSetup(Target = nameof(Kernel_issue_and_pay_per_invoice))]
    public void CreateInvoices()
    {
        var seller = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        _pending = [.. _deals.Select(d => seller.Invoices.CreateAsync(d, [new InvoiceLineRequest("desk", 1m)]).GetAwaiter().GetResult().Id)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reserve.Dispose();
        _writeOff.Dispose();
        _raw.Dispose();
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Invoices)]
    public void Raw_reserve_and_write_off_per_invoice()
    {
        for (var i = 0; i < Invoices; i++)
        {
            foreach (var command in new[] { _reserve, _writeOff })
            {
                using var transaction = _raw.BeginTransaction();
                command.Transaction = transaction;
                command.ExecuteNonQuery();
                transaction.Commit();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Invoices)]
    public async Task Kernel_issue_and_pay_per_invoice()
    {
        var seller = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var admin = _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        foreach (var invoice in _pending)
        {
            await seller.Invoices.IssueAsync(invoice);
            await admin.Invoices.MarkPaidAsync(invoice);
        }
    }
}
