using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>The whole kernel on PostgreSQL, registered as a plug-in: state survives a restart of the host.</summary>
public sealed class KernelOnPostgreSqlTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Kernel_registered_through_the_plugin_keeps_its_state_across_a_restart()
    {
        var schema = "s" + Guid.NewGuid().ToString("N")[..16];
        ServiceProvider Start() => new ServiceCollection()
            .AddSingleton<IClock>(new FakeClock(SalesHistory.Start))
            .AddCrmKernel(crm => crm.AddPlugin(new PostgreSqlPlugin { ConnectionString = database.ConnectionString, Options = o => o.Schema = schema }))
            .Services.BuildServiceProvider();

        string before;
        await using (var first = Start())
        {
            var kernel = first.GetRequiredService<CrmKernel>();
            Assert.IsType<PostgreSqlCrmStore>(kernel.Store);
            await SalesHistory.SeedAsync(kernel, new FakeClock(SalesHistory.Start), deals: 12);
            before = await SalesHistory.ReportsAsync(kernel);
        }

        await using var second = Start();
        var restarted = second.GetRequiredService<CrmKernel>();
        Assert.Equal(0, ((PostgreSqlCrmStore)restarted.Store).AppliedMigrations);
        Assert.Equal(before, await SalesHistory.ReportsAsync(restarted));
        Assert.Equal([SalesHistory.Tenant], (await restarted.ListTenantsAsync()).ToArray());
        var verification = await restarted.VerifyJournalAsync(SalesHistory.Tenant);
        Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
        // Optimistic concurrency holds on the restarted host: a write from the version before the last one is refused.
        var admin = restarted.OpenSession(SalesHistory.Tenant, SalesHistory.Admin);
        var read = await admin.Deals.GetAsync(new DealId("d000"));
        await admin.Deals.SetFieldAsync(read.Id, "note", "fresh", expectedVersion: read.Version);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => admin.Deals.SetFieldAsync(read.Id, "note", "stale", expectedVersion: read.Version));
        Assert.Equal("fresh", (await admin.Deals.GetAsync(read.Id)).Fields["note"]);
    }
}
