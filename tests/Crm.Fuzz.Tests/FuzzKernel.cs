using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Fuzz.Tests;

/// <summary>A kernel on a real SQLite file (what a store cannot keep shows there), with an administrator, a seller and a pipeline.</summary>
internal sealed class FuzzKernel : IAsyncDisposable
{
    public static readonly UserId Admin = new("admin");
    public static readonly UserId Seller = new("s1");
    public static readonly PipelineId Sales = new("sales");
    public static readonly Instant Start = Instant.FromUtc(2026, 3, 2, 9, 0);

    private readonly ServiceProvider _provider;
    private readonly string _folder;

    private FuzzKernel(ServiceProvider provider, string folder)
    {
        _provider = provider;
        _folder = folder;
        Kernel = provider.GetRequiredService<CrmKernel>();
    }

    public CrmKernel Kernel { get; }

    public TenantId Tenant { get; } = new("fuzz");

    public CrmSession Session(UserId user) => Kernel.OpenSession(Tenant, user);

    public static async Task<FuzzKernel> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("crm-fuzz-").FullName;
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new FakeClock(Start));
        services.AddCrmKernel(crm => crm.UseSqlite($"Data Source={Path.Combine(folder, "crm.db")}").Configure(o => o.DefaultPhoneRegion = "NO"));
        var k = new FuzzKernel(services.BuildServiceProvider(), folder);
        await k.Kernel.InitializeTenantAsync(k.Tenant, Admin, "Ada Admin");
        await k.Session(Admin).Organization.RegisterUserAsync(new NewUser(Seller, "Siri Seller", CrmRole.Seller) { Extension = "201" });
        await k.Session(Admin).Pipelines.DefineAsync(new PipelineDefinition(Sales, "Sales",
        [
            new StageDefinition(new StageId("unsorted"), "Unsorted") { IsUnsorted = true },
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
            new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
        ]));
        await k.Session(Admin).Products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);
        return k;
    }

    /// <summary>The tenant's journal head, read from the store (reading through a session could itself be journaled).</summary>
    public async Task<long> HeadAsync()
    {
        long head = 0;
        await foreach (var record in Kernel.Store.ReadJournalAsync(Tenant, _lastHead, int.MaxValue))
        {
            head = record.Position;
        }

        _lastHead = Math.Max(_lastHead, head);
        return _lastHead;
    }

    private long _lastHead;

    /// <summary>How many records of a kind the tenant holds.</summary>
    public async Task<int> CountAsync(string kind)
    {
        var count = 0;
        await foreach (var _ in Kernel.Store.QueryAsync(Tenant, kind))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
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
