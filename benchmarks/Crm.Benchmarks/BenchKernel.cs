using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Crm.Benchmarks;

/// <summary>Counts store round trips, to report commits per operation next to the timings.</summary>
internal sealed class CountingStore(ICrmStore inner) : ICrmStore
{
    public int Commits;
    public int Claims;

    /// <summary>Rows the commits wrote: documents, index entries rewritten, journal events, unique keys, timers.</summary>
    public long Rows;

    public ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default) => inner.LoadAsync(tenant, kind, id, cancellationToken);

    public IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, CancellationToken cancellationToken = default) => inner.QueryAsync(tenant, kind, index, cancellationToken);

    public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default) => inner.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken);

    public ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Commits);
        var rows = commit.Documents.Count + commit.Events.Count + commit.UniqueKeys.Count + commit.TimersToSet.Count + commit.TimersToCancel.Count + commit.TimersCompleted.Count;
        foreach (var document in commit.Documents)
        {
            if (document.ExpectedVersion == 0 || document.IndexesChanged)
            {
                rows += document.Indexes.Count;
            }
        }

        Interlocked.Add(ref Rows, rows);
        return inner.CommitAsync(commit, cancellationToken);
    }

    public IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, CancellationToken cancellationToken = default) => inner.ReadJournalAsync(tenant, afterPosition, maxCount, cancellationToken);

    public ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Claims);
        return inner.ClaimDueTimersAsync(now, lease, maxCount, cancellationToken);
    }

    public IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, CancellationToken cancellationToken = default) => inner.ListTimersAsync(tenant, cancellationToken);

    public ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, NodaTime.Instant now, NodaTime.Duration lease, CancellationToken cancellationToken = default) => inner.TryClaimConsumerAsync(tenant, consumer, owner, now, lease, cancellationToken);

    public ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default) => inner.ReleaseConsumerAsync(tenant, consumer, owner, cancellationToken);
}

/// <summary>A kernel on a SQLite file with one tenant, a seller and a pipeline, for benchmarks.</summary>
internal sealed class BenchKernel : IAsyncDisposable
{
    public static readonly TenantId Tenant = new("bench");
    public static readonly UserId Seller = new("seller");
    public static readonly PipelineId Pipeline = new("sales");
    private readonly ServiceProvider _provider;
    private readonly SqliteCrmStore? _sqlite;

    private BenchKernel(ServiceProvider provider, CountingStore store, SqliteCrmStore? sqlite)
    {
        _provider = provider;
        _sqlite = sqlite;
        Store = store;
        Kernel = provider.GetRequiredService<CrmKernel>();
    }

    public CrmKernel Kernel { get; }

    public CountingStore Store { get; }

    public static BenchKernel Open(string path, SqliteSynchronous synchronous = SqliteSynchronous.Full, Action<CrmKernelOptions>? options = null,
        Action<SqliteStoreOptions>? store = null)
    {
        var storeOptions = new SqliteStoreOptions { ConnectionString = $"Data Source={path}", Synchronous = synchronous };
        store?.Invoke(storeOptions);
        var sqlite = new SqliteCrmStore(storeOptions);
        var counting = new CountingStore(sqlite);
        var services = new ServiceCollection();
        services.AddSingleton(sqlite);
        services.AddCrmKernel(crm => crm.Configure(o => options?.Invoke(o)));
        services.AddSingleton<ICrmStore>(counting);
        return new BenchKernel(services.BuildServiceProvider(), counting, sqlite);
    }

    /// <summary>The same kernel on the in-memory store: the kernel's own cost without SQLite.</summary>
    public static BenchKernel OpenInMemory()
    {
        var counting = new CountingStore(new Crm.Kernel.Storage.InMemoryCrmStore());
        var services = new ServiceCollection();
        services.AddCrmKernel(_ => { });
        services.AddSingleton<ICrmStore>(counting);
        return new BenchKernel(services.BuildServiceProvider(), counting, null);
    }

    public async Task<IReadOnlyList<DealId>> SeedAsync(int deals)
    {
        await Kernel.InitializeTenantAsync(Tenant, new UserId("admin"), "Admin");
        var admin = Kernel.OpenSession(Tenant, new UserId("admin"));
        await admin.Organization.RegisterUserAsync(new NewUser(Seller, "Seller"));
        await admin.Pipelines.DefineAsync(new PipelineDefinition(Pipeline, "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        ]));
        var seller = Kernel.OpenSession(Tenant, Seller);
        var client = await seller.Clients.RegisterAsync(new NewClient("Bench AS"));
        var ids = new List<DealId>(deals);
        for (var i = 0; i < deals; i++)
        {
            ids.Add((await seller.Deals.OpenAsync(new NewDeal(client.Id, Pipeline, Money.Of(100 + i, "USD")))).Id);
        }

        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        if (_sqlite is not null)
        {
            await _sqlite.DisposeAsync();
        }
    }
}
