using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Crm.Kernel.Integration;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>A real HTTP endpoint on loopback that every host posts webhooks to; it checks signatures and keeps what arrived.</summary>
internal sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _secret;
    private readonly Task _loop;
    private int _badSignatures;

    public LoopbackReceiver(string secret)
    {
        _secret = secret;
        using (var socket = new TcpListener(IPAddress.Loopback, 0))
        {
            socket.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)socket.LocalEndpoint).Port}/hooks/");
        }

        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    /// <summary>Every accepted delivery's body, in arrival order.</summary>
    public ConcurrentQueue<JsonElement> Received { get; } = new();

    public int BadSignatures => Volatile.Read(ref _badSignatures);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            // One request at a time, in arrival order: a host posts its page's events one after the other.
            try
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                if (context.Request.Headers["X-Crm-Signature"] != WebhookDelivery.Sign(_secret, context.Request.Headers["X-Crm-Timestamp"] ?? "", body))
                {
                    Interlocked.Increment(ref _badSignatures);
                    context.Response.StatusCode = 401;
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
                // The client went away or the server is stopping.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
