using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Integration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Integration;

/// <summary>A real HTTP server on loopback that verifies webhook signatures like a receiving site would.</summary>
internal sealed class LoopbackWebhookServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _secret;
    private readonly Task _loop;

    public LoopbackWebhookServer(string secret)
    {
        _secret = secret;
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/hooks/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    /// <summary>200 (up), 500 (down) or a slow answer.</summary>
    public string Mode { get => Volatile.Read(ref _mode); set => Volatile.Write(ref _mode, value); }

    private string _mode = "up";

    public ConcurrentQueue<JsonElement> Received { get; } = new();

    public int Attempts => _attempts;

    public int BadSignatures => _badSignatures;

    private int _attempts;
    private int _badSignatures;

    private async Task LoopAsync()
    {
        var handlers = new List<Task>();
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                break;
            }
            catch (HttpListenerException)
            {
                break;
            }

            // Each request on its own task, as a real server does: a held (slow) request must not delay the next one.
            handlers.Add(Task.Run(() => HandleAsync(context)));
        }

        await Task.WhenAll(handlers);
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            Interlocked.Increment(ref _attempts);
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var timestamp = context.Request.Headers["X-Crm-Timestamp"] ?? "";
            var signature = context.Request.Headers["X-Crm-Signature"] ?? "";
            if (signature != WebhookDelivery.Sign(_secret, timestamp, body))
            {
                Interlocked.Increment(ref _badSignatures);
                context.Response.StatusCode = 401;
            }
            else if (Mode == "down")
            {
                context.Response.StatusCode = 500;
            }
            else if (Mode == "slow")
            {
                // Never answers while slow: however late the client's timeout fires, this attempt cannot succeed.
                var until = Environment.TickCount64 + 10_000;
                while (Mode == "slow" && _listener.IsListening && Environment.TickCount64 < until)
                {
                    await Task.Delay(20);
                }

                context.Response.Abort();
                return;
            }
            else
            {
                Received.Enqueue(JsonDocument.Parse(body).RootElement.Clone());
                context.Response.StatusCode = 200;
            }

            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The client gave up (timeout) before the answer, or the server is stopping.
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await Task.WhenAny(_loop, Task.Delay(2000));
    }
}

public sealed class WebhookTests
{
    private const string Secret = "a-very-secret-key-of-the-shop";

    // A generous attempt timeout where the endpoint answers (a loaded CI machine must not turn a 500 or a 200 into a
    // timeout); a short one only where the endpoint never answers, so any timeout is the right outcome.
    private static Task<TestKernel> KernelAsync(int attemptTimeoutMs = 10_000) => WithOrganizationAsync(configure: s => s.Configure<Crm.Kernel.Hosting.CrmKernelOptions>(o =>
        o.Webhooks = new WebhookOptions { Retry = new() { MaxAttempts = 3, FirstDelay = Duration.FromMilliseconds(5), MaxDelay = Duration.FromSeconds(1) }, AttemptTimeout = Duration.FromMilliseconds(attemptTimeoutMs) }));

    [Fact]
    public async Task Stage_changes_are_delivered_signed_in_order_and_only_those_subscribed()
    {
        await using var server = new LoopbackWebhookServer(Secret);
        await using var k = await KernelAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Admin).Webhooks.RegisterAsync(server.Url, Secret, ["DealStageChanged"]);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        await k.Session(Seller1).Deals.SetFieldAsync(deal.Id, "note", "not subscribed");
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);

        var run = await k.Kernel.Webhooks.DeliverAsync(k.Tenant);
        var again = await k.Kernel.Webhooks.DeliverAsync(k.Tenant);

        Assert.Equal((2, 0), (run.Delivered, run.DeadLettered));
        Assert.Equal(0, again.Delivered);
        Assert.Equal(0, server.BadSignatures);
        var bodies = server.Received.ToArray();
        Assert.Equal(["proposal", "negotiation"], bodies.Select(b => b.GetProperty("data").GetProperty("to").GetString()!));
        Assert.True(bodies[0].GetProperty("position").GetInt64() < bodies[1].GetProperty("position").GetInt64());
        Assert.Equal(deal.Id.Value, bodies[0].GetProperty("stream").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_down_endpoint_is_retried_then_dead_lettered_and_replay_keeps_each_deals_order()
    {
        await using var server = new LoopbackWebhookServer(Secret) { Mode = "down" };
        await using var k = await KernelAsync();
        var a = await k.DealAsync(Seller1);
        var b = await k.DealAsync(Seller1);
        var sub = await k.Session(Admin).Webhooks.RegisterAsync(server.Url, Secret, ["DealStageChanged"]);
        await k.Session(Seller1).Deals.MoveAsync(a.Id, Proposal);

        var down = await k.Kernel.Webhooks.DeliverAsync(k.Tenant);
        Assert.Equal((0, 1), (down.Delivered, down.DeadLettered));
        Assert.Equal(3, server.Attempts);                                   // MaxAttempts, with exponential backoff

        server.Mode = "up";
        await k.Session(Seller1).Deals.MoveAsync(a.Id, Negotiation);       // waits behind A's dead letter
        await k.Session(Seller1).Deals.MoveAsync(b.Id, Proposal);          // another deal: goes through
        var up = await k.Kernel.Webhooks.DeliverAsync(k.Tenant);
        Assert.Equal((1, 1), (up.Delivered, up.DeadLettered));
        var letters = (await k.Session(Admin).Webhooks.ListAsync()).Single().DeadLetters;
        Assert.Equal(2, letters.Count);
        Assert.Contains("500", letters[0].Error);
        Assert.Contains("waiting behind", letters[1].Error);

        Assert.Equal(2, await k.Kernel.Webhooks.ReplayAsync(k.Tenant, sub.Id));

        Assert.Empty((await k.Session(Admin).Webhooks.ListAsync()).Single().DeadLetters);
        var forA = server.Received.Where(x => x.GetProperty("stream").GetProperty("id").GetString() == a.Id.Value)
            .Select(x => x.GetProperty("data").GetProperty("to").GetString()!).ToArray();
        Assert.Equal(["proposal", "negotiation"], forA);
    }

    [Fact]
    public async Task A_slow_endpoint_times_out_and_nothing_is_lost()
    {
        await using var server = new LoopbackWebhookServer(Secret) { Mode = "slow" };
        await using var k = await KernelAsync(attemptTimeoutMs: 1_000);
        var deal = await k.DealAsync(Seller1);
        var sub = await k.Session(Admin).Webhooks.RegisterAsync(server.Url, Secret, ["DealStageChanged"]);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);

        var run = await k.Kernel.Webhooks.DeliverAsync(k.Tenant);

        Assert.Equal(1, run.DeadLettered);
        Assert.Contains("timed out", (await k.Session(Admin).Webhooks.ListAsync()).Single().DeadLetters[0].Error, StringComparison.OrdinalIgnoreCase);
        server.Mode = "up";
        Assert.Equal(1, await k.Kernel.Webhooks.ReplayAsync(k.Tenant, sub.Id));
    }

    [Theory]
    [InlineData("ftp://shop.example/hook", Secret, "url")]
    [InlineData("http://127.0.0.1/hook", "short", "secret")]
    public async Task Bad_subscriptions_are_rejected(string url, string secret, string field)
    {
        await using var k = await KernelAsync();
        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Webhooks.RegisterAsync(new Uri(url), secret, ["DealStageChanged"]));
        Assert.Equal(field, error.Errors[0].Field);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Webhooks.RegisterAsync(new Uri("http://127.0.0.1/x"), Secret, ["DealStageChanged"]));
    }
}
