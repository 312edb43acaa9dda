using System.Globalization;
using Crm.Kernel.Reports;
using Snapshooter.Xunit;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

/// <summary>Snapshots of the renderers over a fixed data set (reviewed like code).</summary>
public sealed class ReportRendererTests
{
    private static readonly CultureInfo Norwegian = CultureInfo.GetCultureInfo("nb-NO");
    private readonly ReportData _data = ReportFixtures.Fixed();

    [Fact]
    public void Funnel_as_console_table() => ReportRenderer.ToConsole(ReportRenderer.Table(SalesReports.Funnel(_data), CultureInfo.InvariantCulture)).MatchSnapshot();

    [Fact]
    public void Breakdown_as_csv_quotes_commas_and_quotes() =>
        ReportRenderer.ToCsv(ReportRenderer.Table(SalesReports.Breakdown(_data, Dimension.City, "USD"), CultureInfo.InvariantCulture)).MatchSnapshot();

    [Fact]
    public void Abc_as_json_in_a_norwegian_culture() => ReportRenderer.ToJson(ReportRenderer.Table(SalesReports.Abc(_data, "USD"), Norwegian)).MatchSnapshot();

    [Fact]
    public void Html_page_with_svg_charts()
    {
        var funnel = SalesReports.Funnel(_data);
        var abc = SalesReports.Abc(_data, "USD");
        ReportRenderer.ToHtml("Sales", [ReportRenderer.Table(funnel, CultureInfo.InvariantCulture), ReportRenderer.Table(abc, CultureInfo.InvariantCulture)], funnel, abc).MatchSnapshot();
    }

    [Fact]
    public void Html_page_with_bar_and_line_charts()
    {
        var byOwner = SalesReports.Breakdown(_data, Dimension.Owner, "USD");
        var trend = new ReportChart("Won USD revenue per month", ChartKind.Line, [new ChartPoint("2026-01", 1_000m), new ChartPoint("2026-02", 3_500m), new ChartPoint("2026-03", 2_000m)]);
        ReportRenderer.ToHtml("Charts", [ReportRenderer.Table(byOwner, CultureInfo.InvariantCulture)], charts: [ReportChart.Of(byOwner), trend]).MatchSnapshot();
    }

    [Fact]
    public void Csv_follows_rfc_4180()
    {
        var csv = ReportRenderer.ToCsv(new ReportTable("t", ["a", "b"], [["x,y", "say \"hi\""], ["line\nbreak", "plain"]]));
        Assert.Equal("a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"line\nbreak\",plain\r\n", csv);
    }
}
