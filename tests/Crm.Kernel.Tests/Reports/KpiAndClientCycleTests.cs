using Crm.Abstractions;
using Crm.Kernel.Activities;
using Crm.Kernel.Reports;
using FsCheck.Xunit;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Reports;

public sealed class KpiAndClientCycleTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 5, 9, 0);
    private static readonly DateInterval Q1 = new(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31));

    private static readonly KpiDefinition[] Kpis =
    [
        new("calls", KpiMeasure.Calls, 1m),
        new("meetings", KpiMeasure.Meetings, 1m),
        new("revenue", KpiMeasure.WonRevenue, 2m, "USD"),
        new("conversion", KpiMeasure.Conversion, 1m),
    ];

    private static ReportData Snapshot()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline)
            .AddUser(new UserId("ola"), new TeamId("north"), "Ola Nordmann").AddUser(new UserId("kari"), new TeamId("south"), "Kari Hansen")
            .AddClient(new ClientId("c1"), "North", "Oslo", "Retail", T0 - Duration.FromDays(10))
            .AddClient(new ClientId("c2"), "South", "Bergen", "Software", T0 - Duration.FromDays(30));
        ReportFixtures.Deal(b, "d1", "c1", "ola", 1000m, "USD", ["lead", "offer", "won"]);   // won on day 6
        ReportFixtures.Deal(b, "d2", "c1", "ola", 500m, "USD", ["lead", "lost"]);
        ReportFixtures.Deal(b, "d3", "c2", "kari", 2500m, "USD", ["lead", "offer", "won"], daysPerStage: 5); // won on day 10
        ReportFixtures.Deal(b, "d4", "c2", "kari", 700m, "EUR", ["lead", "won"]);                            // won on day 3: c2's first sale
        for (var i = 0; i < 6; i++)
        {
            b.AddActivity(new UserId("ola"), ActivityKind.Call, T0 + Duration.FromDays(i));
        }

        b.AddActivity(new UserId("ola"), ActivityKind.Meeting, T0 + Duration.FromDays(2));
        b.AddActivity(new UserId("ola"), ActivityKind.Call, Instant.FromUtc(2026, 4, 2, 9, 0));     // Q2: not counted in Q1
        b.AddActivity(new UserId("kari"), ActivityKind.Note, T0);                                    // a note is no call
        return b.Build();
    }

    [Fact]
    public void Kpis_are_measured_against_plan_and_scored_by_weight()
    {
        var plans = new[]
        {
            new KpiPlan(new UserId("ola"), "calls", Q1, 12m),
            new KpiPlan(new UserId("ola"), "meetings", Q1, 2m),
            new KpiPlan(new UserId("ola"), "revenue", Q1, 2000m),
            new KpiPlan(new UserId("ola"), "conversion", Q1, 0.25m),
            new KpiPlan(new UserId("kari"), "calls", Q1, 10m),
        };

        var rows = KpiMonitor.Run(Snapshot(), Kpis, plans);

        var ola = Assert.Single(rows, r => r.Employee == "ola");
        Assert.Equal(
            [("calls", 6m, 0.5m), ("meetings", 1m, 0.5m), ("revenue", 1000m, 0.5m), ("conversion", 0.5m, 2m)],
            ola.Values.Select(v => (v.Kpi, v.Actual, v.Completion!.Value)));
        Assert.Equal((1m * 0.5m + 1m * 0.5m + 2m * 0.5m + 1m * 2m) / 5m, ola.Score);
        var kari = Assert.Single(rows, r => r.Employee == "kari");
        Assert.Equal((0m, 0m), (kari.Values.Single().Actual, kari.Score));
    }

    [Fact]
    public void Kpi_monitor_as_console_table()
    {
        var rows = KpiMonitor.Run(Snapshot(), Kpis,
        [
            new KpiPlan(new UserId("ola"), "calls", Q1, 12m),
            new KpiPlan(new UserId("ola"), "revenue", Q1, 2000m),
            new KpiPlan(new UserId("kari"), "calls", Q1, 10m),
            new KpiPlan(new UserId("kari"), "conversion", Q1, 0m),
        ]);

        Snapshooter.Xunit.Snapshot.Match(ReportRenderer.ToConsole(ReportRenderer.Table(rows, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Invalid_kpis_and_plans_are_rejected_with_their_paths()
    {
        var error = Assert.Throws<CrmValidationException>(() => KpiMonitor.Run(Snapshot(),
            [new KpiDefinition("revenue", KpiMeasure.WonRevenue, 0m), new KpiDefinition("revenue", KpiMeasure.Calls, 1m)],
            [new KpiPlan(new UserId("ola"), "visits", Q1, -1m)]));

        Assert.Equal(["kpis[0].weight", "kpis[0].currency", "kpis[1].id", "plans[0].kpi", "plans[0].target"], error.Errors.Select(e => e.Field));
    }

    [Property(MaxTest = 100)]
    public bool Kpi_completion_is_actual_over_plan_and_the_score_is_the_weighted_mean(byte[] script, byte calls, byte revenue)
    {
        var data = ReportFixtures.Random(script);
        var plans = new[]
        {
            new KpiPlan(new UserId("ola"), "calls", Q1, calls),
            new KpiPlan(new UserId("ola"), "revenue", Q1, revenue * 10m),
            new KpiPlan(new UserId("kari"), "conversion", Q1, 0.3m),
        };
        var rows = KpiMonitor.Run(data, Kpis, plans);
        return rows.All(r =>
        {
            var scored = r.Values.Where(v => v.Completion is not null).ToArray();
            var expected = scored.Length == 0 ? 0m : scored.Sum(v => v.Weight * v.Completion!.Value) / scored.Sum(v => v.Weight);
            return r.Score == expected && r.Values.All(v => v.Completion is null ? v.Target == 0m : v.Completion == v.Actual / v.Target);
        });
    }

    [Fact]
    public void First_sale_cycle_counts_days_from_registration_to_each_clients_first_won_deal()
    {
        var data = Snapshot();

        var all = ClientReports.FirstSaleCycle(data);
        Assert.Equal((2, 24.5d, 24.5d, 33d), (all.Count, all.MeanDays, all.MedianDays, all.P90Days)); // c1: 10 + 6 days, c2: 30 + 3 days

        var north = ClientReports.FirstSaleCycle(data, new ReportFilter { Regions = new HashSet<string> { "North" } });
        Assert.Equal((1, 16d), (north.Count, north.MeanDays));
        var kariInFebruary = ClientReports.FirstSaleCycle(data, new ReportFilter { Owners = new HashSet<string> { "kari" }, Period = new DateInterval(new LocalDate(2026, 2, 1), new LocalDate(2026, 2, 28)) });
        Assert.Equal(0, kariInFebruary.Count);   // kari's client first bought in January
    }

    [Fact]
    public void Filters_by_team_industry_region_and_source_narrow_every_report()
    {
        var data = Snapshot();
        var south = new ReportFilter { Teams = new HashSet<string> { "south" } };
        Assert.Equal((2, 0), (SalesReports.Outcomes(data, south).Won, SalesReports.Outcomes(data, south).Lost));
        var retail = SalesReports.Outcomes(data, new ReportFilter { Industries = new HashSet<string> { "Retail" } });
        Assert.Equal((1, 1), (retail.Won, retail.Lost));
        var north = SalesReports.Outcomes(data, new ReportFilter { Regions = new HashSet<string> { "North" } });
        Assert.Equal((1, 1), (north.Won, north.Lost));
        Assert.Equal(0, SalesReports.Outcomes(data, new ReportFilter { Sources = new HashSet<string> { "phone" } }).Won);
        var web = SalesReports.Outcomes(data, new ReportFilter { Sources = new HashSet<string> { "web" } });
        Assert.Equal((3, 1), (web.Won, web.Lost));
        Assert.Equal(["kari"], ManagerReports.Funnels(data, south).Select(f => f.Owner));
    }

    [Fact]
    public async Task A_seller_sees_their_own_kpis_and_a_head_the_teams()
    {
        await using var k = await WithOrganizationAsync();
        var mine = await k.DealAsync(Seller1);
        var theirs = await k.DealAsync(Seller2);
        await k.Session(Seller1).Activities.LogAsync(new NewActivity(ActivityKind.Call, mine.Client, "Intro call"));
        await k.Session(Seller1).Activities.LogAsync(new NewActivity(ActivityKind.Meeting, mine.Client, "Demo"));
        await k.Session(Seller2).Activities.LogAsync(new NewActivity(ActivityKind.Call, theirs.Client, "Intro call"));
        var period = new DateInterval(Start.InUtc().Date, Start.InUtc().Date.PlusDays(30));
        var plans = new[] { new KpiPlan(Seller1, "calls", period, 4m), new KpiPlan(Seller2, "calls", period, 2m), new KpiPlan(Seller3, "calls", period, 2m) };

        var own = KpiMonitor.Run(await k.Session(Seller1).Reports.GetSnapshotAsync(), Kpis, plans);
        var team = KpiMonitor.Run(await k.Session(Head1).Reports.GetSnapshotAsync(), Kpis, plans);

        Assert.Equal([(Seller1.Value, 1m)], own.Select(r => (r.Employee, r.Values.Single().Actual)));
        Assert.Equal([(Seller1.Value, 0.25m), (Seller2.Value, 0.5m)], team.Select(r => (r.Employee, r.Score)));
    }
}
