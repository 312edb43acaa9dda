using Crm.Abstractions;
using Crm.Kernel.Import;
using Crm.Kernel.Reports;
using Crm.Kernel.Tests.Conventions;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

/// <summary>The sample year of ../shared/data/sample-sales, imported once through the kernel's public API.</summary>
public sealed class SampleSalesFixture : IAsyncLifetime
{
    public static readonly UserId Admin = new("admin");

    public TestKernel Kernel { get; } = TestKernel.Create(tenant: "sample");

    public ReportData Data { get; private set; } = null!;

    public CsvImportResult Import { get; private set; } = null!;

    public static string Folder => Path.GetFullPath(Path.Combine(ArchitectureTests.RepositoryRoot(), "..", "shared", "data", "sample-sales"));

    public async Task InitializeAsync()
    {
        Assert.True(Directory.Exists(Folder), $"The sample data set is expected at {Folder} (the shared/ folder beside the clone).");
        await Kernel.Kernel.InitializeTenantAsync(Kernel.Tenant, Admin, "Admin");
        var admin = Kernel.Session(Admin);
        await admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("sales"), "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("qualified"), "Qualified"),
            new StageDefinition(new StageId("proposal"), "Proposal"),
            new StageDefinition(new StageId("negotiation"), "Negotiation"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
            new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
        ]));
        Import = await SalesCsvImport.ImportAsync(admin, Folder, new CsvImportOptions { Pipeline = new PipelineId("sales") });
        Data = await admin.Reports.GetSnapshotAsync();
    }

    public async Task DisposeAsync() => await Kernel.DisposeAsync();
}

/// <summary>Every figure of the reference table in ../shared/data/README.md, computed independently in SQL.</summary>
public sealed class SampleSalesFiguresTests(SampleSalesFixture sample) : IClassFixture<SampleSalesFixture>
{
    private ReportData Data => sample.Data;

    [Fact]
    public void Import_brings_every_row_and_merges_the_12_duplicate_cards()
    {
        Assert.Equal((20, 400, 12, 707, 64), (sample.Import.Users, sample.Import.Clients, sample.Import.MergedDuplicates.Count, sample.Import.Deals, sample.Import.Targets));
        Assert.Empty(sample.Import.BadRows);
        Assert.Equal("C0334", sample.Import.MergedDuplicates["C0401"]);
        Assert.Equal(2548, Data.StayCount);
    }

    [Fact]
    public void Deals_by_outcome_and_win_rate()
    {
        var outcomes = SalesReports.Outcomes(Data);
        Assert.Equal((216, 478, 13), (outcomes.Won, outcomes.Lost, outcomes.Open));
        Assert.Equal(31.1239m, Math.Round(outcomes.WinRate * 100m, 4));
    }

    [Fact]
    public void Funnel_counts_deals_that_ever_entered_each_stage()
    {
        var funnel = SalesReports.Funnel(Data);
        Assert.Equal([("lead", 707), ("qualified", 488), ("proposal", 373), ("negotiation", 286), ("won", 216)], funnel.Stages.Select(s => (s.Stage, s.Deals)));
        Assert.Equal(478, funnel.Lost);
        Assert.Equal("lead", funnel.Bottleneck);   // 488 / 707 = 0.690 is the sharpest contraction (then 0.755, 0.764, 0.767)
    }

    [Fact]
    public void Won_revenue_per_currency_is_never_summed_across_currencies()
    {
        var revenue = SalesReports.WonRevenue(Data).ByCurrency.ToDictionary(r => r.Revenue.Currency);
        Assert.Equal((3_119_126.39m, 197), (revenue["USD"].Revenue.Amount, revenue["USD"].Deals));
        Assert.Equal((363_167.27m, 19), (revenue["EUR"].Revenue.Amount, revenue["EUR"].Deals));
    }

    [Fact]
    public void Won_cycle_in_days()
    {
        var cycle = SalesReports.WonCycle(Data);
        Assert.Equal(216, cycle.Count);
        Assert.Equal(33.8562, Math.Round(cycle.MeanDays, 4));
        Assert.Equal(31.9085, Math.Round(cycle.MedianDays, 4));
    }

    [Fact]
    public void Mean_days_in_stage_over_finished_stays()
    {
        var stages = SalesReports.StageDurations(Data, Instant.FromUtc(2026, 1, 1, 0, 0)).Stages.ToDictionary(s => s.Stage);
        Assert.Equal((706, 4.2323), (stages["lead"].FinishedStays, Math.Round(stages["lead"].MeanDays, 4)));
        Assert.Equal((488, 7.0783), (stages["qualified"].FinishedStays, Math.Round(stages["qualified"].MeanDays, 4)));
        Assert.Equal((369, 10.2187), (stages["proposal"].FinishedStays, Math.Round(stages["proposal"].MeanDays, 4)));
        Assert.Equal((278, 12.9625), (stages["negotiation"].FinishedStays, Math.Round(stages["negotiation"].MeanDays, 4)));
    }

    [Fact]
    public void Abc_of_clients_by_won_usd_revenue()
    {
        var abc = SalesReports.Abc(Data, "USD");
        Assert.Equal((70, 48, 42), (abc.A, abc.B, abc.C));
        Assert.Equal(("C0145", 119_874.40m), (abc.Clients[0].Client, abc.Clients[0].Revenue));
    }

    [Theory]
    [InlineData(Dimension.Region, "East", "578175.59")]
    [InlineData(Dimension.Region, "North", "842694.09")]
    [InlineData(Dimension.Region, "South", "849112.76")]
    [InlineData(Dimension.Region, "West", "849143.95")]
    [InlineData(Dimension.Industry, "Construction", "683075.50")]
    [InlineData(Dimension.Industry, "Healthcare", "329895.60")]
    [InlineData(Dimension.Industry, "Logistics", "499696.66")]
    [InlineData(Dimension.Industry, "Manufacturing", "707556.01")]
    [InlineData(Dimension.Industry, "Retail", "426491.18")]
    [InlineData(Dimension.Industry, "Software", "472411.44")]
    [InlineData(Dimension.Team, "east-team", "901520.25")]
    [InlineData(Dimension.Team, "north-team", "684541.70")]
    [InlineData(Dimension.Team, "south-team", "667900.66")]
    [InlineData(Dimension.Team, "west-team", "865163.78")]
    public void Won_usd_revenue_by_region_industry_and_team(Dimension dimension, string key, string expected)
    {
        var rows = SalesReports.Breakdown(Data, dimension, "USD").Rows.ToDictionary(r => r.Key, r => r.Revenue);
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), rows[key]);

        // The same figure through the report filter of that dimension.
        var only = new HashSet<string> { key };
        var filter = dimension switch
        {
            Dimension.Region => new ReportFilter { Regions = only },
            Dimension.Industry => new ReportFilter { Industries = only },
            _ => new ReportFilter { Teams = only },
        };
        Assert.Equal(rows[key], SalesReports.WonRevenue(Data, filter).ByCurrency.Single(r => r.Revenue.Currency == "USD").Revenue.Amount);
    }

    [Fact]
    public void Plan_vs_fact_per_quarter_for_all_sellers_and_for_U02()
    {
        var all = SalesReports.PlanFact(Data, perOwner: false);
        Assert.Equal(
            [(900_000m, 191_274.15m), (930_000m, 1_066_506.94m), (830_000m, 1_205_343.82m), (930_000m, 656_001.48m)],
            all.Select(r => (r.Plan.Amount, r.Fact.Amount)));
        var u02 = SalesReports.PlanFact(Data, perOwner: true).Where(r => r.Owner == "U02").ToArray();
        Assert.Equal(
            [(80_000m, 2_412.92m), (65_000m, 17_747.52m), (35_000m, 66_564.93m), (45_000m, 1_115.48m)],
            u02.Select(r => (r.Plan.Amount, r.Fact.Amount)));
        Assert.All(u02, r => Assert.Equal(r.Fact.Amount / r.Plan.Amount, r.Completion));
    }

    [Fact]
    public async Task A_sellers_report_equals_the_admins_report_filtered_to_that_seller()
    {
        var own = await sample.Kernel.Session(new UserId("U02")).Reports.GetSnapshotAsync();
        var filter = new ReportFilter { Owners = new HashSet<string> { "U02" } };
        Assert.Equal(SalesReports.Outcomes(Data, filter), SalesReports.Outcomes(own));
        Assert.Equal(SalesReports.Funnel(Data, filter).Stages.Select(s => (s.Stage, s.Deals)), SalesReports.Funnel(own).Stages.Select(s => (s.Stage, s.Deals)));
        Assert.Equal(SalesReports.WonRevenue(Data, filter).ByCurrency, SalesReports.WonRevenue(own).ByCurrency);
        Assert.Equal(SalesReports.WonCycle(Data, filter), SalesReports.WonCycle(own));
        Assert.Equal(SalesReports.Abc(Data, "USD", filter).Clients, SalesReports.Abc(own, "USD").Clients);
        Assert.Equal(SalesReports.PlanFact(Data, perOwner: true, filter), SalesReports.PlanFact(own, perOwner: true));
        Assert.Equal(Forecasts.Velocity(Data, "USD", filter), Forecasts.Velocity(own, "USD"));
        Assert.Equal(ClientReports.FirstSaleCycle(Data, filter), ClientReports.FirstSaleCycle(own));
        Assert.Equal(SalesReports.Breakdown(Data, Dimension.Industry, "USD", filter).Rows, SalesReports.Breakdown(own, Dimension.Industry, "USD").Rows);
        KpiDefinition[] kpis = [new("revenue", KpiMeasure.WonRevenue, 2m, "USD"), new("conversion", KpiMeasure.Conversion, 1m)];
        var q2 = new DateInterval(new LocalDate(2025, 4, 1), new LocalDate(2025, 6, 30));
        KpiPlan[] plans = [new(new UserId("U02"), "revenue", q2, 65_000m), new(new UserId("U02"), "conversion", q2, 0.3m), new(new UserId("U03"), "revenue", q2, 1m)];
        var kpi = Assert.Single(KpiMonitor.Run(own, kpis, plans));          // the seller sees only their own row
        Assert.Equal(KpiMonitor.Run(Data, kpis, plans, filter).Single().Values, kpi.Values);
        Assert.Equal(17_747.52m, kpi.Values[0].Actual);                      // U02's Q2 fact from the reference table
    }
}
