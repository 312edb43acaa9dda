using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Processes;
using Crm.Methodology.Tenders;
using Crm.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Crm.Methodologies.Tests;

/// <summary>A methodology installed on a real SQLite file survives a restart: its installation, rules and a running process.</summary>
public sealed class SqliteInstallTests : IDisposable
{
    private static readonly TenantId Tenant = new("acme");
    private static readonly UserId Admin = new("admin");
    private static readonly UserId Seller = new("seller");
    private readonly string _directory = Directory.CreateTempSubdirectory("crm-methodology-").FullName;
    private readonly FakeClock _clock = new(MethodologyKernel.Start);

    private ServiceProvider Kernel() => new ServiceCollection()
        .AddSingleton<IClock>(_clock)
        .AddCrmKernel(crm => crm.UseSqlite($"Data Source={Path.Combine(_directory, "crm.db")}").AddPlugin(new TendersPlugin()))
        .Services.BuildServiceProvider();

    [Fact]
    public async Task Install_and_a_running_bid_approval_survive_a_restart()
    {
        ProcessId process;
        DealId deal;
        long head;
        await using (var first = Kernel())
        {
            var kernel = first.GetRequiredService<CrmKernel>();
            await kernel.InitializeTenantAsync(Tenant, Admin, "Ada Admin");
            var admin = kernel.OpenSession(Tenant, Admin);
            await admin.Organization.RegisterUserAsync(new NewUser(new UserId("head"), "Hanna Head", CrmRole.Head));
            await admin.Organization.DefineTeamAsync(new TeamId("bids"), "Bids", new UserId("head"));
            await admin.Organization.RegisterUserAsync(new NewUser(Seller, "Siri Seller", CrmRole.Seller) { Team = new TeamId("bids") });
            await admin.Methodologies.InstallAsync(TendersPlugin.MethodologyId);
            var seller = kernel.OpenSession(Tenant, Seller);
            var client = await seller.Clients.RegisterAsync(new NewClient("Oslo kommune"));
            deal = (await seller.Deals.OpenAsync(new NewDeal(client.Id, TendersPlugin.Pipeline, Money.Of(2_000_000m, "NOK")) { Title = "Oslo" })).Id;
            await seller.Deals.AchieveGoalAsync(deal, new GoalId("bid"));
            process = Assert.Single(await seller.Processes.ListForDealAsync(deal)).Id;
            await seller.Processes.FireAsync(process, "approve");
            head = (await admin.Journal.ListAsync(0, 100_000))[^1].Position;
        }

        await using var second = Kernel();
        var restarted = second.GetRequiredService<CrmKernel>();
        var session = restarted.OpenSession(Tenant, Admin);

        Assert.Equal(["tenders-submission-deadline@1"], Assert.Single(await session.Methodologies.ListInstalledAsync()).Rules);
        await session.Methodologies.InstallAsync(TendersPlugin.MethodologyId);   // again, after the restart: nothing to record
        Assert.Equal(head, (await session.Journal.ListAsync(0, 100_000))[^1].Position);
        Assert.Equal("financeReview", (await restarted.OpenSession(Tenant, Seller).Processes.FireAsync(process, "approve")).CurrentStep);
        Assert.Equal("finance", (await session.Deals.GetAsync(deal)).Fields["bidApproval"]);
        Assert.True((await restarted.VerifyJournalAsync(Tenant)).IsConsistent);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
