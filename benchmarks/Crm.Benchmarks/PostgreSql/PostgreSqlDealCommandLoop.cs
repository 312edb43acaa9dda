using System.Diagnostics;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// A loop for profilers and quick checks (<c>-- --pg-loop [commands]</c> with <c>CRM_TEST_POSTGRES</c> set): one client's
/// <c>Deals.SetFieldAsync</c> on PostgreSQL, printing the time per command and how much of it the store's commit took.
/// </summary>
internal static class PostgreSqlDealCommandLoop
{
    public static async Task RunAsync(int commands)
    {
        var database = PostgresBench.CreateDatabase();
        try
        {
            var timed = new TimedStore(new Crm.Storage.PostgreSql.PostgreSqlCrmStore(new Crm.Storage.PostgreSql.PostgreSqlStoreOptions { ConnectionString = database }));
            var services = new ServiceCollection();
            services.AddCrmKernel(_ => { });
            services.AddSingleton<ICrmStore>(timed);
            await using var provider = services.BuildServiceProvider();
            var kernel = provider.GetRequiredService<CrmKernel>();
            var deals = await PostgresBench.SeedAsync(kernel, 200);
            var session = kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
            for (var i = 0; i < 2000; i++)
            {
                await session.Deals.SetFieldAsync(deals[i % deals.Count], "note", "warm " + i);
            }

            timed.Reset();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < commands; i++)
            {
                await session.Deals.SetFieldAsync(deals[i % deals.Count], "note", "n " + i);
            }

            var per = clock.Elapsed.TotalMicroseconds / commands;
            Console.WriteLine(FormattableString.Invariant(
                $"{commands} commands: {per:F1} µs per command; store commit {timed.CommitMicroseconds / commands:F1} µs, loads {timed.Loads / (double)commands:F2} ({timed.LoadMicroseconds / commands:F1} µs) per command"));
        }
        finally
        {
            PostgresBench.DropDatabase(database);
        }
    }

    private sealed class TimedStore(ICrmStore inner) : ICrmStore
    {
        private long _commitTicks;
        private long _loadTicks;

        public int Loads { get; private set; }

        public double CommitMicroseconds => _commitTicks * 1e6 / Stopwatch.Frequency;

        public double LoadMicroseconds => _loadTicks * 1e6 / Stopwatch.Frequency;

        public void Reset() => (_commitTicks, _loadTicks, Loads) = (0, 0, 0);

        public async ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            var document = await inner.LoadAsync(tenant, kind, id, cancellationToken);
            _loadTicks += Stopwatch.GetTimestamp() - start;
            Loads++;
            return document;
        }

        public IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, CancellationToken cancellationToken = default) => inner.QueryAsync(tenant, kind, index, cancellationToken);

        public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default) => inner.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken);

        public async ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await inner.CommitAsync(commit, cancellationToken);
            _commitTicks += Stopwatch.GetTimestamp() - start;
            return result;
        }

        public IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, CancellationToken cancellationToken = default) => inner.ReadJournalAsync(tenant, afterPosition, maxCount, cancellationToken);

        public ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default) => inner.ClaimDueTimersAsync(now, lease, maxCount, cancellationToken);

        public IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, CancellationToken cancellationToken = default) => inner.ListTimersAsync(tenant, cancellationToken);

        public ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default) => inner.TryClaimConsumerAsync(tenant, consumer, owner, now, lease, cancellationToken);

        public ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default) => inner.ReleaseConsumerAsync(tenant, consumer, owner, cancellationToken);
    }
}
