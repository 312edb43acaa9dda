using System.Globalization;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Reports;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>The same few weeks of sales, written through the kernel into any store, and the reports over them.</summary>
internal static class SalesHistory
{
    public static readonly TenantId Tenant = new("acme");
    public static readonly UserId Admin = new("admin");
    public static readonly PipelineId Sales = new("sales");
    public static readonly Instant Start = Instant.FromUtc(2026, 2, 2, 9, 0);
    private static readonly string[] Stages = ["lead", "offer", "talks"];

    public static async Task SeedAsync(CrmKernel kernel, FakeClock clock, int deals = 60)
    {
        clock.Reset(Start);
        await kernel.InitializeTenantAsync(Tenant, Admin, "Ada Admin");
        var admin = kernel.OpenSession(Tenant, Admin);
        await admin.Organization.RegisterUserAsync(new NewUser(new UserId("h"), "Hanna Head", CrmRole.Head));
        await admin.Organization.DefineTeamAsync(new TeamId("north"), "North", new UserId("h"));
        for (var s = 0; s < 3; s++)
        {
            await admin.Organization.RegisterUserAsync(new NewUser(new UserId("s" + s), "Seller " + s, CrmRole.Seller) { Team = new TeamId("north") });
        }

        await admin.Pipelines.DefineAsync(new PipelineDefinition(Sales, "Sales",
        [
            .. Stages.Select(s => new StageDefinition(new StageId(s), s) { WinProbability = 0.2m }),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
            new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
        ]));
        for (var c = 0; c < 12; c++)
        {
            await admin.Clients.RegisterAsync(new NewClient($"Client {c}")
            {
                Id = new ClientId("c" + c),
                Region = c % 2 == 0 ? "East" : "West",
                Industry = c % 3 == 0 ? "Retail" : "Energy",
                Owner = new UserId("s" + (c % 3)),
            });
        }

        var random = new Random(7);
        for (var i = 0; i < deals; i++)
        {
            clock.Advance(Duration.FromHours(3 + random.Next(20)));
            var owner = new UserId("s" + (i % 3));
            var deal = await admin.Deals.OpenAsync(new NewDeal(new ClientId("c" + (i % 12)), Sales, Money.Of(1_000m + 137m * random.Next(50), i % 5 == 0 ? "EUR" : "NOK"))
            {
                Id = new DealId("d" + i.ToString("000", CultureInfo.InvariantCulture)),
                Owner = owner,
                Source = i % 2 == 0 ? "web" : "phone",
            });
            var steps = random.Next(4);
            for (var s = 1; s <= steps && s < Stages.Length; s++)
            {
                clock.Advance(Duration.FromHours(1 + random.Next(48)));
                await admin.Deals.MoveAsync(deal.Id, new StageId(Stages[s]));
            }

            if (random.Next(3) == 0)
            {
                clock.Advance(Duration.FromHours(5));
                await admin.Deals.MoveAsync(deal.Id, new StageId(random.Next(2) == 0 ? "won" : "lost"));
            }
        }
    }

    /// <summary>The reports as text: funnel, ABC and a breakdown tables, and the figures of the other reports.</summary>
    public static async Task<string> ReportsAsync(CrmKernel kernel)
    {
        var data = await kernel.OpenSession(Tenant, Admin).Reports.GetSnapshotAsync();
        var culture = CultureInfo.InvariantCulture;
        return string.Join("\n",
            ReportRenderer.ToCsv(ReportRenderer.Table(SalesReports.Funnel(data), culture)),
            ReportRenderer.ToCsv(ReportRenderer.Table(SalesReports.Abc(data, "NOK"), culture)),
            ReportRenderer.ToCsv(ReportRenderer.Table(SalesReports.Breakdown(data, Dimension.Region, "NOK"), culture)),
            SalesReports.Outcomes(data).ToString(),
            SalesReports.WonCycle(data).ToString(),
            string.Join(";", SalesReports.StageDurations(data, Start + Duration.FromDays(60)).Stages.Select(s => s.ToString())),
            data.DealCount.ToString(culture),
            data.StayCount.ToString(culture));
    }
}
