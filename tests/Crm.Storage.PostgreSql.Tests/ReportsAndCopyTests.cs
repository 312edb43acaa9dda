using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Crm.Samples.SqliteToPostgres;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>Reports read from PostgreSQL equal those over SQLite and in memory; a SQLite file copies over intact.</summary>
public sealed class ReportsAndCopyTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crm-pg-tests-").FullName;

    private static (ServiceProvider Provider, CrmKernel Kernel, FakeClock Clock) Kernel(Action<CrmKernelBuilder> store)
    {
        var clock = new FakeClock(SalesHistory.Start);
        var provider = new ServiceCollection().AddSingleton<IClock>(clock)
            .AddCrmKernel(crm => store(crm.Configure(o => o.DefaultPhoneRegion = "NO")))
            .Services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<CrmKernel>(), clock);
    }

    private Action<CrmKernelBuilder> PostgreSql(string schema) => crm => crm.UsePostgreSql(database.ConnectionString, o => o.Schema = schema);

    private static string NewSchema() => "s" + Guid.NewGuid().ToString("N")[..16];

    [Fact]
    public async Task Reports_over_postgresql_equal_reports_over_sqlite_and_in_memory_for_the_same_history()
    {
        var results = new List<string>();
        foreach (var store in new Action<CrmKernelBuilder>[]
        {
            crm => crm.UseInMemoryStore(),
            crm => crm.UseSqlite($"Data Source={Path.Combine(_directory, "parity.db")}"),
            PostgreSql(NewSchema()),
        })
        {
            var (provider, kernel, clock) = Kernel(store);
            await using (provider)
            {
                await SalesHistory.SeedAsync(kernel, clock);
                results.Add(await SalesHistory.ReportsAsync(kernel));
            }
        }

        Assert.StartsWith("Stage,Deals,Amount", results[0], StringComparison.Ordinal);
        Assert.Equal("60", results[0].Split('\n')[^2]); // the snapshot has all 60 deals
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Fact]
    public async Task A_sqlite_file_copied_into_postgresql_verifies_reports_the_same_and_keeps_working()
    {
        var file = Path.Combine(_directory, "copy.db");
        string before;
        long events;
        var (sqliteProvider, sqlite, sqliteClock) = Kernel(crm => crm.UseSqlite($"Data Source={file}"));
        await using (sqliteProvider)
        {
            await SalesHistory.SeedAsync(sqlite, sqliteClock);
            // A timer pending at the time of the copy must come over too.
            await sqlite.OpenSession(SalesHistory.Tenant, SalesHistory.Admin).Tasks.CreateAsync(
                new Crm.Kernel.Tasks.NewWorkTask("Follow up", sqliteClock.GetCurrentInstant() + Duration.FromDays(3)));
            before = await SalesHistory.ReportsAsync(sqlite);
            events = (await sqlite.VerifyJournalAsync(SalesHistory.Tenant)).EventsReplayed;
        }

        var schema = NewSchema();
        CopyReport report;
        await using (var target = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString, Schema = schema }))
        {
            report = await SqliteToPostgresCopy.CopyAsync(file, target);
            // A second copy into the same store is refused rather than mixing data.
            await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteToPostgresCopy.CopyAsync(file, target));
        }

        Assert.Equal(2, report.Tenants); // the tenant and the kernel's tenant registry
        Assert.Equal(2, report.Timers);
        var (provider, kernel, clock) = Kernel(PostgreSql(schema));
        await using (provider)
        {
            var verification = await kernel.VerifyJournalAsync(SalesHistory.Tenant);
            Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
            Assert.Equal(events, verification.EventsReplayed);
            Assert.Equal(before, await SalesHistory.ReportsAsync(kernel));

            // The copy is a working database: positions continue after the copied journal, timers fire.
            clock.Reset(SalesHistory.Start + Duration.FromDays(200));
            var admin = kernel.OpenSession(SalesHistory.Tenant, SalesHistory.Admin);
            await admin.Deals.SetFieldAsync(new DealId("d001"), "note", "after the copy");
            var journal = await admin.Journal.ListAsync(events - 1, 10);
            Assert.Equal(events + 1, journal[^1].Position);
            Assert.Equal(2, (await kernel.Scheduler.RunDueAsync(clock.GetCurrentInstant())).Fired);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
