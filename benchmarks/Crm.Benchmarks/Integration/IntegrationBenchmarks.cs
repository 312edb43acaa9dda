using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Abstractions;
using Crm.Kernel.Integration;
using Crm.Kernel.Invoicing;
using Microsoft.Data.Sqlite;

namespace Crm.Benchmarks.Integration;

/// <summary>
/// Website orders taken in end to end on SQLite (WAL, synchronous=FULL): client card found or created, deal, invoice
/// from two lines, task and the Delivery process started, all in one unit of work; one at a time and 20 at once (group
/// commit). The baseline is the same intake of an order already taken in (the idempotent path: one read).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class OrderIntakeBenchmarks
{
    private const int Orders = 40;
    private string _dir = null!;
    private BenchKernel _kernel = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-orders-").FullName;
        _kernel = BenchKernel.Open(Path.Combine(_dir, "orders.db"));
        _kernel.SeedAsync(0).GetAwaiter().GetResult();
        var admin = _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("orders"), "Orders",
        [
            new StageDefinition(new StageId("new"), "New") { IsUnsorted = true },
            new StageDefinition(new StageId("done"), "Done", StageKind.Won),
        ])).GetAwaiter().GetResult();
        admin.Products.DefineAsync("chair", "Chair", Money.Of(199.99m, "USD"), 0.25m).GetAwaiter().GetResult();
        admin.Products.DefineAsync("desk", "Desk", Money.Of(549.50m, "USD"), 0.25m).GetAwaiter().GetResult();
        _kernel.Kernel.Orders.IntakeAsync(BenchKernel.Tenant, Order("existing")).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static WebsiteOrder Order(string id) => new(id,
        new OrderBuyer("Buyer " + id, null, $"{id}@shop.example"),
        [new InvoiceLineRequest("chair", 2), new InvoiceLineRequest("desk", 1, 5m)]);

    [Benchmark(Baseline = true, OperationsPerInvoke = Orders)]
    public async Task Repeated_order_idempotent_path()
    {
        for (var i = 0; i < Orders; i++)
        {
            await _kernel.Kernel.Orders.IntakeAsync(BenchKernel.Tenant, Order("existing"));
        }
    }

    [Benchmark(OperationsPerInvoke = Orders)]
    public async Task New_orders_one_at_a_time()
    {
        for (var i = 0; i < Orders; i++)
        {
            await _kernel.Kernel.Orders.IntakeAsync(BenchKernel.Tenant, Order("o" + Interlocked.Increment(ref _next)));
        }
    }

    [Benchmark(OperationsPerInvoke = Orders)]
    public async Task New_orders_20_at_once()
    {
        for (var batch = 0; batch < Orders / 20; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _kernel.Kernel.Orders.IntakeAsync(BenchKernel.Tenant, Order("o" + Interlocked.Increment(ref _next)))));
        }
    }
}

/// <summary>
/// Webhook deliveries per second from the journal to a real HTTP server on loopback (signed, one POST per event, in
/// journal order). The baseline POSTs the same bodies with a bare HttpClient loop (no journal, no signature, no cursor).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class WebhookDeliveryBenchmarks
{
    private const int Events = 200;
    private string _dir = null!;
    private BenchKernel _kernel = null!;
    private HttpListener _listener = null!;
    private Task _loop = null!;
    private Uri _url = null!;
    private HttpClient _http = null!;
    private IReadOnlyList<DealId> _deals = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = new Uri($"http://127.0.0.1:{port}/hook/");
        _listener = new HttpListener();
        _listener.Prefixes.Add(_url.ToString());
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    await context.Request.InputStream.CopyToAsync(Stream.Null);
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }
            }
        });
        _http = new HttpClient();
        _dir = Directory.CreateTempSubdirectory("crm-hooks-").FullName;
        _kernel = BenchKernel.Open(Path.Combine(_dir, "hooks.db"), global::Crm.Storage.Sqlite.SqliteSynchronous.Normal);
        _deals = _kernel.SeedAsync(Events).GetAwaiter().GetResult();
        _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin")).Webhooks
            .RegisterAsync(_url, "benchmark-secret-0123456789", ["DealFieldSet"]).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(Kernel_webhook_delivery))]
    public void Produce()
    {
        var seller = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var value = (++_round).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Task.WhenAll(_deals.Select(d => seller.Deals.SetFieldAsync(d, "note", value))).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Stop();
        _listener.Close();
        _http.Dispose();
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task Bare_HttpClient_posts()
    {
        for (var i = 0; i < Events; i++)
        {
            using var content = new StringContent("{\"id\":\"" + i + "\",\"type\":\"DealFieldSet\",\"data\":{}}");
            using var response = await _http.PostAsync(_url, content);
            response.EnsureSuccessStatusCode();
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Kernel_webhook_delivery()
    {
        var run = await _kernel.Kernel.Webhooks.DeliverAsync(BenchKernel.Tenant);
        if (run.Delivered != Events)
        {
            throw new InvalidOperationException($"delivered {run.Delivered} of {Events}");
        }
    }
}
