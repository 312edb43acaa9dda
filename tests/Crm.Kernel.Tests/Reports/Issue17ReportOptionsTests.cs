using Crm.Abstractions;
using Crm.Kernel.Reports;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

/// <summary>Issue 17 §1: what the imported export needed and the reports lacked (lost cycle, ABC boundary, close periods).</summary>
public sealed class Issue17ReportOptionsTests
{
    private static readonly Instant March10 = Instant.FromUtc(2026, 3, 10, 9, 0);

    private static void Closed(ReportDataBuilder b, string id, string client, decimal amount, DealOutcome outcome, Instant opened, int days)
    {
        var closed = opened + Duration.FromDays(days);
        var end = outcome == DealOutcome.Won ? "won" : outcome == DealOutcome.Lost ? "lost" : "offer";
        b.AddDeal(new DealId(id), new ClientId(client), new UserId("ola"), Money.Of(amount, "USD"), null, outcome, opened,
            outcome == DealOutcome.Open ? null : closed,
            [(new StageId("lead"), opened, closed), (new StageId(end), closed, null)]);
    }

    [Fact]
    public void Issue17_lost_cycle_reports_count_mean_median_and_p90_as_the_won_cycle_does()
    {
        // Guards: the lost deals' cycle was not reported at all (only opened → won).
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        Closed(b, "w1", "c1", 10m, DealOutcome.Won, March10, 10);
        Closed(b, "w2", "c1", 10m, DealOutcome.Won, March10, 20);
        for (var i = 1; i <= 10; i++)
        {
            Closed(b, $"l{i:D2}", "c2", 1m, DealOutcome.Lost, March10, i * 3); // 3, 6, …, 30 days
        }

        Closed(b, "open", "c3", 1m, DealOutcome.Open, March10, 0);
        var data = b.Build();

        var lost = SalesReports.LostCycle(data);
        var both = SalesReports.CycleByOutcome(data);

        Assert.Equal(new DurationStats(10, 16.5, 16.5, 27), lost);
        Assert.Equal(new DurationStats(2, 15, 15, 20), both.Won);
        Assert.Equal(lost, both.Lost);
        Assert.Equal(SalesReports.WonCycle(data), SalesReports.Cycle(data, DealOutcome.Won));
        var april = new ReportFilter { Period = new DateInterval(new LocalDate(2026, 4, 1), new LocalDate(2026, 4, 30)) };
        Assert.Equal(3, SalesReports.LostCycle(data, april).Count); // closed 24, 27 and 30 days after 10 March (21 days is 31 March)
        Assert.Throws<CrmValidationException>(() => SalesReports.Cycle(data, DealOutcome.Open));
    }

    [Theory]
    [InlineData(AbcBoundary.CrossingClientInUpperClass, "AAB C")]
    [InlineData(AbcBoundary.CrossingClientInLowerClass, "ABC C")]
    public void Issue17_abc_boundary_puts_the_client_crossing_80_percent_in_A_or_B_as_chosen(AbcBoundary boundary, string expected)
    {
        // Guards: only the first convention existed. Revenue 70 / 20 / 6 / 4: the second client takes the share from 70 % to 90 %.
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        Closed(b, "d1", "c1", 70m, DealOutcome.Won, March10, 1);
        Closed(b, "d2", "c2", 20m, DealOutcome.Won, March10, 1);
        Closed(b, "d3", "c3", 6m, DealOutcome.Won, March10, 1);
        Closed(b, "d4", "c4", 4m, DealOutcome.Won, March10, 1);

        var abc = SalesReports.Abc(b.Build(), "USD", boundary: boundary);

        Assert.Equal(expected.Replace(" ", "", StringComparison.Ordinal), new string(abc.Clients.Select(c => c.Class).ToArray()));
        Assert.Equal(abc.Clients.Count, abc.A + abc.B + abc.C);
    }

    [Fact]
    public void Issue17_abc_lower_class_rule_keeps_a_client_reaching_exactly_80_percent_in_A_and_the_default_is_unchanged()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        Closed(b, "d1", "c1", 80m, DealOutcome.Won, March10, 1);
        Closed(b, "d2", "c2", 15m, DealOutcome.Won, March10, 1);
        Closed(b, "d3", "c3", 5m, DealOutcome.Won, March10, 1);
        var data = b.Build();

        Assert.Equal("ABC", new string(SalesReports.Abc(data, "USD", boundary: AbcBoundary.CrossingClientInLowerClass).Clients.Select(c => c.Class).ToArray()));
        Assert.Equal("ABC", new string(SalesReports.Abc(data, "USD").Clients.Select(c => c.Class).ToArray()));
        Assert.Equal(SalesReports.Abc(data, "USD").Clients, SalesReports.Abc(data, "USD", boundary: AbcBoundary.CrossingClientInUpperClass).Clients);
        Assert.Throws<CrmValidationException>(() => SalesReports.Abc(data, "USD", boundary: (AbcBoundary)7));
    }

    [Fact]
    public void Issue17_report_designer_groups_by_the_month_or_quarter_a_deal_closed()
    {
        // Guards: the designer grouped only by the month a deal opened.
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        Closed(b, "d1", "c1", 100m, DealOutcome.Won, March10, 5);   // closes 15 March
        Closed(b, "d2", "c1", 200m, DealOutcome.Won, March10, 25);  // closes 4 April
        Closed(b, "d3", "c1", 40m, DealOutcome.Lost, March10, 30);  // closes 9 April
        Closed(b, "d4", "c1", 7m, DealOutcome.Open, March10, 0);
        var data = b.Build();
        IReadOnlyList<(string, decimal, decimal)> Run(Dimension dimension) => ReportDesigner.Run(data, new ReportDefinition("r", [dimension], [Measure.Count, Measure.Sum], "USD"))
            .Select(r => (r.Keys[0], r.Values[0], r.Values[1])).ToArray();

        Assert.Equal([("2026-03", 4m, 347m)], Run(Dimension.Month));
        Assert.Equal([("(open)", 1m, 7m), ("2026-03", 1m, 100m), ("2026-04", 2m, 240m)], Run(Dimension.ClosedMonth));
        Assert.Equal([("(open)", 1m, 7m), ("2026-Q1", 1m, 100m), ("2026-Q2", 2m, 240m)], Run(Dimension.ClosedQuarter));
        Assert.Equal([("2026-Q1", 4m, 347m)], Run(Dimension.Quarter));

        // In Tokyo, 31 March 20:00 UTC is already 1 April: the close month follows the filter's zone.
        var late = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        Closed(late, "d", "c", 1m, DealOutcome.Won, Instant.FromUtc(2026, 3, 30, 20, 0), 1);
        var tokyo = new ReportFilter { Zone = DateTimeZoneProviders.Tzdb["Asia/Tokyo"] };
        Assert.Equal("2026-04", ReportDesigner.Run(late.Build(), new ReportDefinition("r", [Dimension.ClosedMonth], [Measure.Count], "USD"), tokyo).Single().Keys[0]);
    }

    [Fact]
    public void Issue17_breakdown_refuses_the_designer_dimensions_instead_of_grouping_by_owner()
    {
        var data = ReportFixtures.Fixed();

        Assert.Throws<CrmValidationException>(() => SalesReports.Breakdown(data, Dimension.ClosedMonth, "USD"));
        Assert.Throws<CrmValidationException>(() => SalesReports.Breakdown(data, Dimension.Stage, "USD"));
    }
}
