using Crm.Kernel.Hosting;
using Crm.Samples.WebShop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Fuzz.Tests;

/// <summary>The WebShop sample on a real Kestrel port on loopback, with its own SQLite file.</summary>
internal sealed class WebShopHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;

    private WebShopHost(WebApplication app, string folder, Uri address)
    {
        _app = app;
        _folder = folder;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public CrmKernel Kernel => _app.Services.GetRequiredService<CrmKernel>();

    public static async Task<WebShopHost> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("crm-webshop-").FullName;
        var app = await WebShopApp.BuildAsync(
        [
            "--urls", "http://127.0.0.1:0",
            $"--ConnectionStrings:Crm=Data Source={Path.Combine(folder, "webshop.db")}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.AspNetCore=Error",
        ]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WebShopHost(app, folder, new Uri(address));
    }

    /// <summary>
    /// How many journal records the shop tenant holds, leaving out the consumer cursors that the host's background
    /// delivery (notifications, webhooks) advances on its own: what a request wrote, and nothing else, moves it.
    /// </summary>
    public async Task<long> HeadAsync()
    {
        await foreach (var record in Kernel.Store.ReadJournalAsync(WebShopApp.Tenant, _head, int.MaxValue))
        {
            _head = Math.Max(_head, record.Position);
            if (record.Event.StreamKind != "cursor")
            {
                _written++;
            }
        }

        return _written;
    }

    private long _written;
    private long _head;

    /// <summary>How many records of a kind the shop tenant holds.</summary>
    public async Task<int> CountAsync(string kind)
    {
        var count = 0;
        await foreach (var _ in Kernel.Store.QueryAsync(WebShopApp.Tenant, kind))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
