using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>The whole kernel on a real SQLite file: restart, backup while running, restore and replay.</summary>
public sealed class KernelOnSqliteTests : IDisposable
{
    private static readonly TenantId Tenant = new("acme");
    private static readonly UserId Admin = new("admin");
    private static readonly PipelineId Sales = new("sales");
    private readonly TempDirectory _directory = new();
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 3, 2, 9, 0));

    private ServiceProvider Kernel(string file) => new ServiceCollection()
        .AddSingleton<IClock>(_clock)
        .AddCrmKernel(crm => crm.UseSqlite($"Data Source={_directory.File(file)}").Configure(o => o.DefaultPhoneRegion = "NO"))
        .Services.BuildServiceProvider();

    private static PipelineDefinition Pipeline() => new(Sales, "Sales",
    [
        new StageDefinition(new StageId("lead"), "Lead")
        {
            Goals = [new GoalDefinition(new GoalId("qualified"), "Qualified", [new MoveToStage(new StageId("offer")), new CreateTask("Send offer", BusinessDuration.Calendar(Duration.FromDays(5)))])],
        },
        new StageDefinition(new StageId("offer"), "Offer"),
        new StageDefinition(new StageId("won"), "Won", StageKind.Won),
    ]);

    private async Task SeedAsync(CrmKernel kernel, int deals)
    {
        await kernel.InitializeTenantAsync(Tenant, Admin, "Ada");
        var admin = kernel.OpenSession(Tenant, Admin);
        await admin.Pipelines.DefineAsync(Pipeline());
        for (var i = 0; i < deals; i++)
        {
            var client = await admin.Clients.RegisterAsync(new NewClient($"Client {i}") { Contacts = [new ClientContact(null, $"+47 9{i:0000000}", null)] });
            var deal = await admin.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(100m + i, "NOK")));
            if (i % 2 == 0)
            {
                await admin.Deals.AchieveGoalAsync(deal.Id, new GoalId("qualified"));
            }
        }
    }

    [Fact]
    public async Task State_survives_a_restart()
    {
        await using (var first = Kernel("crm.db"))
        {
            await SeedAsync(first.GetRequiredService<CrmKernel>(), 6);
        }

        await using var second = Kernel("crm.db");
        var kernel = second.GetRequiredService<CrmKernel>();
        var deals = await kernel.OpenSession(Tenant, Admin).Deals.ListAsync();
        Assert.Equal(6, deals.Count);
        Assert.Equal(3, deals.Count(d => d.Stage == new StageId("offer")));
        Assert.True((await kernel.VerifyJournalAsync(Tenant)).IsConsistent);
        await Assert.ThrowsAsync<DuplicateClientException>(() => kernel.OpenSession(Tenant, Admin).Clients.RegisterAsync(
            new NewClient("Copy") { Contacts = [new ClientContact(null, "900 00 000", null)] }));
    }

    [Fact]
    public async Task Backup_taken_while_commands_run_restores_and_replays_to_the_same_state()
    {
        var backup = _directory.File("backup.db");
        await using (var live = Kernel("live.db"))
        {
            var kernel = live.GetRequiredService<CrmKernel>();
            await SeedAsync(kernel, 10);
            var admin = kernel.OpenSession(Tenant, Admin);
            var ids = (await admin.Deals.ListAsync()).Select(d => d.Id).ToArray();
            var writers = Task.WhenAll(ids.Select(id => admin.Deals.SetFieldAsync(id, "note", "during backup")));
            await live.GetRequiredService<SqliteCrmStore>().BackupAsync(backup);
            await writers;
        }

        await using var restored = Kernel("backup.db");
        var copy = restored.GetRequiredService<CrmKernel>();
        var verification = await copy.VerifyJournalAsync(Tenant);
        Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
        Assert.True(verification.EventsReplayed >= 30);
        Assert.Equal(10, (await copy.OpenSession(Tenant, Admin).Deals.ListAsync()).Count);
        // The copy is a working database: it takes new commands.
        var deal = (await copy.OpenSession(Tenant, Admin).Deals.ListAsync())[0];
        await copy.OpenSession(Tenant, Admin).Deals.MoveAsync(deal.Id, new StageId("won"));
    }

    public void Dispose() => _directory.Dispose();
}
