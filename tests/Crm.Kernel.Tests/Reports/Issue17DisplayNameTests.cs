using System.Globalization;
using Crm.Kernel.Reports;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Reports;

/// <summary>Issue 17 §1: report rows carried only ids (owner, team, client); the snapshot now carries display names.</summary>
public sealed class Issue17DisplayNameTests
{
    [Fact]
    public async Task Issue17_session_snapshot_carries_owner_team_and_client_names_and_rows_show_them_beside_ids()
    {
        await using var k = await WithOrganizationAsync();
        var north = await k.DealAsync(Seller1, 300m, clientName: "Fjord Fish AS");
        var south = await k.DealAsync(Seller3, 100m, clientName: "Bryggen Soft");
        await k.Session(Seller1).Deals.MoveAsync(north.Id, Won);
        await k.Session(Seller3).Deals.MoveAsync(south.Id, Won);

        var data = await k.Session(Admin).Reports.GetSnapshotAsync();

        Assert.Equal("Siri Seller", data.OwnerNames[data.Owners.ToList().IndexOf(Seller1.Value)]);
        Assert.Equal("South", data.TeamNames[data.Teams.ToList().IndexOf(South.Value)]);
        var byOwner = SalesReports.Breakdown(data, Dimension.Owner, "USD");
        Assert.Equal("Siri Seller", byOwner.Names[Seller1.Value]);
        Assert.Equal("Sara Seller", byOwner.Names[Seller3.Value]);
        Assert.Equal(new Dictionary<string, string> { ["north"] = "North", ["south"] = "South" }, SalesReports.Breakdown(data, Dimension.Team, "USD").Names);
        Assert.Empty(SalesReports.Breakdown(data, Dimension.Region, "USD").Names);
        var abc = SalesReports.Abc(data, "USD");
        Assert.Equal([(north.Client.Value, "Fjord Fish AS"), (south.Client.Value, "Bryggen Soft")], abc.Clients.Select(c => (c.Client, c.ClientName)));
        Assert.Equal(["Siri Seller", "Sara Seller"], ManagerReports.Funnels(data).Select(f => f.OwnerName)); // in id order: s1, s3
        var designed = ReportDesigner.Run(data, new ReportDefinition("r", [Dimension.Team, Dimension.Owner], [Measure.Sum], "USD"));
        Assert.Equal([["North", "Siri Seller"], ["South", "Sara Seller"]], designed.Select(r => r.KeyNames));
        Assert.Equal([["north", Seller1.Value], ["south", Seller3.Value]], designed.Select(r => r.Keys));

        var table = ReportRenderer.ToConsole(ReportRenderer.Table(byOwner, CultureInfo.InvariantCulture));
        Assert.Contains("s1     Siri Seller", table, StringComparison.Ordinal);

        // A head's snapshot names the head's own team only.
        var head = await k.Session(Head1).Reports.GetSnapshotAsync();
        Assert.Equal(["North"], head.TeamNames);
    }

    [Fact]
    public void Issue17_snapshot_without_names_shows_ids_as_names()
    {
        var data = ReportFixtures.Fixed();

        var abc = SalesReports.Abc(data, "USD");
        Assert.Equal("c3", data.ClientNames[data.Clients.ToList().IndexOf("c3")]);   // no name given: the id
        Assert.Equal(["Bryggen Soft", "Fjord Fish AS"], abc.Clients.Select(c => c.ClientName));
        var kpi = KpiMonitor.Run(data, [new KpiDefinition("won", KpiMeasure.WonDeals, 1m)],
            [new KpiPlan(new Crm.Abstractions.UserId("ola"), "won", new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31)), 2m)]);
        Assert.Equal("Ola Nordmann", kpi.Single().EmployeeName);
        Assert.Equal("Ola Nordmann", SalesReports.PlanFact(data, perOwner: true).Single().OwnerName);
    }
}
