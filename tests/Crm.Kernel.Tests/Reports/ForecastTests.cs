using Crm.Abstractions;
using Crm.Kernel.Reports;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

public sealed class ForecastTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 5, 9, 0);

    [Fact]
    public void Velocity_shows_each_factor()
    {
        var data = ReportFixtures.Fixed();   // USD: won d1 1,000 and d3 2,500 (6 days each); lost d2; open d5
        var velocity = Forecasts.Velocity(data, "USD");

        Assert.Equal(1, velocity.OpenDeals);
        Assert.Equal(0.75m, velocity.WinRate);                       // 3 won (one in EUR) ÷ 4 closed
        Assert.Equal(1_750m, velocity.AverageWonAmount);
        Assert.Equal(6m, velocity.AverageCycleDays);
        Assert.Equal(1m * 0.75m * 1_750m / 6m, velocity.PerDay);
        Assert.Equal(0, Forecasts.Velocity(data, "USD", new ReportFilter { Owners = new HashSet<string> { "ola" } }).OpenDeals);
    }

    [Fact]
    public void Velocity_per_manager_and_period_over_period()
    {
        var byOwner = VelocityReports.ByOwner(ReportFixtures.Fixed(), "USD");
        Assert.Equal(["kari", "ola"], byOwner.Keys);
        Assert.Equal((0, 0m), (byOwner["ola"].OpenDeals, byOwner["ola"].PerDay));
        Assert.Equal((1, 1m, 2_500m, 6m), (byOwner["kari"].OpenDeals, byOwner["kari"].WinRate, byOwner["kari"].AverageWonAmount, byOwner["kari"].AverageCycleDays));

        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline).AddClient(new ClientId("c"), "North", null, null, T0);
        void Add(string id, DealOutcome outcome, decimal amount, Instant opened, int days) => b.AddDeal(new DealId(id), new ClientId("c"), new UserId("ola"), Money.Of(amount, "USD"), null,
            outcome, opened, outcome == DealOutcome.Open ? null : opened + Duration.FromDays(days),
            outcome == DealOutcome.Open ? [(new StageId("lead"), opened, null)] : [(new StageId("lead"), opened, opened + Duration.FromDays(days)), (new StageId(outcome == DealOutcome.Won ? "won" : "lost"), opened + Duration.FromDays(days), null)]);
        Add("j1", DealOutcome.Won, 100m, Instant.FromUtc(2026, 1, 3, 9, 0), 10);
        Add("j2", DealOutcome.Open, 100m, Instant.FromUtc(2026, 1, 4, 9, 0), 0);
        Add("f1", DealOutcome.Won, 300m, Instant.FromUtc(2026, 2, 2, 9, 0), 5);
        Add("f2", DealOutcome.Open, 100m, Instant.FromUtc(2026, 2, 3, 9, 0), 0);
        Add("f3", DealOutcome.Open, 100m, Instant.FromUtc(2026, 2, 4, 9, 0), 0);

        var change = VelocityReports.Compare(b.Build(), "USD", new DateInterval(new LocalDate(2026, 2, 1), new LocalDate(2026, 2, 28)),
            new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 1, 31)));

        Assert.Equal(1m * 1m * 100m / 10m, change.Previous.PerDay);     // January: 1 open × 100 % × 100 ÷ 10 days
        Assert.Equal(2m * 1m * 300m / 5m, change.Current.PerDay);       // February: 2 open × 100 % × 300 ÷ 5 days
        Assert.Equal((120m - 10m) / 10m, change.Change);
    }

    [Fact]
    public void Growth_compares_two_periods_per_key()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline).AddClient(new ClientId("n"), "North", null, null, T0).AddClient(new ClientId("s"), "South", null, null, T0);
        void Won(string id, string client, decimal amount, Instant at) => b.AddDeal(new DealId(id), new ClientId(client), new UserId("ola"), Money.Of(amount, "USD"), null,
            DealOutcome.Won, at - Duration.FromDays(1), at, [(new StageId("lead"), at - Duration.FromDays(1), at), (new StageId("won"), at, null)]);
        Won("1", "n", 100m, Instant.FromUtc(2026, 1, 10, 12, 0));
        Won("2", "n", 150m, Instant.FromUtc(2026, 2, 10, 12, 0));
        Won("3", "s", 80m, Instant.FromUtc(2026, 2, 11, 12, 0));

        var rows = Forecasts.Growth(b.Build(), Dimension.Region, "USD",
            new DateInterval(new LocalDate(2026, 2, 1), new LocalDate(2026, 2, 28)), new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 1, 31)));

        Assert.Equal([new GrowthRow("North", 150m, 100m, 0.5m), new GrowthRow("South", 80m, 0m, null)], rows);
    }

    [Fact]
    public void Forecast_weights_open_deals_by_probability_into_categories_beside_a_run_rate()
    {
        var b = new ReportDataBuilder().AddStages(new PipelineDefinition(new PipelineId("p"), "P",
        [
            new StageDefinition(new StageId("lead"), "Lead") { WinProbability = 0.1m },
            new StageDefinition(new StageId("offer"), "Offer") { WinProbability = 0.5m },
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        ]));
        var april = new LocalDate(2026, 4, 15);
        b.AddDeal(new DealId("a"), new ClientId("c"), new UserId("ola"), Money.Of(1000m, "USD"), null, DealOutcome.Open, T0, null, [(new StageId("lead"), T0, null)], expectedClose: april);
        b.AddDeal(new DealId("b"), new ClientId("c"), new UserId("ola"), Money.Of(1000m, "USD"), null, DealOutcome.Open, T0, null, [(new StageId("offer"), T0, null)], expectedClose: april);
        b.AddDeal(new DealId("c"), new ClientId("c"), new UserId("ola"), Money.Of(1000m, "USD"), null, DealOutcome.Open, T0, null, [(new StageId("offer"), T0, null)], 0.9m, april);
        b.AddDeal(new DealId("d"), new ClientId("c"), new UserId("ola"), Money.Of(9000m, "USD"), null, DealOutcome.Open, T0, null, [(new StageId("offer"), T0, null)], expectedClose: new LocalDate(2026, 9, 1));
        var march = Instant.FromUtc(2026, 3, 10, 12, 0);
        b.AddDeal(new DealId("e"), new ClientId("c"), new UserId("ola"), Money.Of(600m, "USD"), null, DealOutcome.Won, march - Duration.FromDays(2), march,
            [(new StageId("lead"), march - Duration.FromDays(2), march), (new StageId("won"), march, null)]);

        var forecast = Forecasts.Forecast(b.Build(), "USD", new DateInterval(new LocalDate(2026, 4, 1), new LocalDate(2026, 4, 30)));

        Assert.Equal(new ForecastReport("USD", 1500m, 900m, 500m, 100m, 600m), forecast);
    }
}

public sealed class ManagerReportTests(SampleSalesFixture sample) : IClassFixture<SampleSalesFixture>
{
    [Fact]
    public void Each_managers_funnel_adds_up_to_the_whole_and_has_its_own_bottleneck()
    {
        var funnels = ManagerReports.Funnels(sample.Data);
        var whole = SalesReports.Funnel(sample.Data);

        Assert.Equal(16, funnels.Count);                       // every owner of a deal in deals.csv
        for (var i = 0; i < whole.Stages.Count; i++)
        {
            Assert.Equal(whole.Stages[i].Deals, funnels.Sum(f => f.Funnel.Stages[i].Deals));
        }

        Assert.All(funnels, f => Assert.NotNull(f.Funnel.Bottleneck));
    }

    [Fact]
    public void Stage_leaders_are_ranked_by_their_conversion_there()
    {
        var leaders = ManagerReports.StageLeaders(sample.Data, minimumDeals: 10);
        Assert.Equal(["lead", "qualified", "proposal", "negotiation"], leaders.Select(l => l.Stage));
        Assert.All(leaders, l =>
        {
            Assert.NotEmpty(l.Best);
            Assert.True(l.Best.Zip(l.Best.Skip(1)).All(p => p.First.Conversion >= p.Second.Conversion));
            Assert.All(l.Best, b => Assert.True(b.Deals >= 10));
        });
    }

    [Fact]
    public void Cycles_by_manager_and_by_month_cover_every_won_deal()
    {
        var cycles = ManagerReports.Cycles(sample.Data);
        Assert.Equal(216, cycles.ByOwner.Values.Sum(c => c.Count));
        Assert.Equal(216, cycles.ByMonth.Values.Sum(c => c.Count));
        Assert.StartsWith("2025-", cycles.ByMonth.Keys.First());
    }
}

public sealed class ReportDesignerTests(SampleSalesFixture sample) : IClassFixture<SampleSalesFixture>
{
    [Fact]
    public void Designed_report_groups_by_dimensions_and_its_totals_equal_the_whole()
    {
        var definition = new ReportDefinition("Won by region and industry", [Dimension.Region, Dimension.Industry], [Measure.Count, Measure.Sum, Measure.Average, Measure.Median], "USD") { WonOnly = true };

        var rows = ReportDesigner.Run(sample.Data, definition);

        Assert.Equal(197m, rows.Sum(r => r.Values[0]));
        Assert.Equal(3_119_126.39m, rows.Sum(r => r.Values[1]));
        Assert.Equal(578_175.59m, rows.Where(r => r.Keys[0] == "East").Sum(r => r.Values[1]));
        Assert.All(rows, r => Assert.Equal(r.Values[1] / r.Values[0], r.Values[2]));
        var json = System.Text.Json.JsonSerializer.Serialize(definition);
        Assert.Equal(definition.Name, System.Text.Json.JsonSerializer.Deserialize<ReportDefinition>(json)!.Name);
    }

    [Fact]
    public void Conversion_by_owner_and_rates_convert_other_currencies_instead_of_summing_them()
    {
        var conversion = ReportDesigner.Run(sample.Data, new ReportDefinition("Conversion", [Dimension.Owner], [Measure.Conversion], "USD"),
            rates: new FixedExchangeRates().Add("EUR", "USD", 1.1m));
        Assert.All(conversion, r => Assert.InRange(r.Values[0], 0m, 1m));

        var total = ReportDesigner.Run(sample.Data, new ReportDefinition("All won", [], [Measure.Sum], "USD") { WonOnly = true },
            rates: new FixedExchangeRates().Add("EUR", "USD", 1.1m)).Single().Values[0];
        Assert.Equal(3_119_126.39m + 363_167.27m * 1.1m, total);
        Assert.Throws<Crm.Abstractions.CrmValidationException>(() => ReportDesigner.Run(sample.Data, new ReportDefinition("x", [], [Measure.Sum], "USD") { WonOnly = true }, rates: new FixedExchangeRates()));
    }
}
