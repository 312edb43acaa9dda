using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Crm.Kernel.Reports;

/// <summary>A rendered report's content: a title, column headers and rows of cells (already formatted for a culture).</summary>
/// <param name="Title">The title.</param>
/// <param name="Headers">Column headers.</param>
/// <param name="Rows">Rows of cells.</param>
public sealed record ReportTable(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>How many leading columns hold text (aligned left on the console; the others are figures, aligned right).</summary>
    /// <value>Default 1: the key. 2 when a display name follows the id.</value>
    public int TextColumns { get; init; } = 1;
}

/// <summary>How a <see cref="ReportChart"/> is drawn.</summary>
public enum ChartKind
{
    /// <summary>Horizontal bars, one per point (breakdowns: by region, industry, owner…).</summary>
    Bars = 0,
    /// <summary>A line through the points in order (trends: revenue per month…).</summary>
    Line = 1,
}

/// <summary>An extra chart for <see cref="ReportRenderer.ToHtml"/>: labelled values drawn as bars or a line.</summary>
/// <param name="Title">The chart's heading.</param>
/// <param name="Kind">Bars or line.</param>
/// <param name="Points">The labelled values, in drawing order.</param>
public sealed record ReportChart(string Title, ChartKind Kind, IReadOnlyList<ChartPoint> Points)
{
    /// <summary>A bar chart of a breakdown's revenue per key (per name for owners and teams).</summary>
    public static ReportChart Of(BreakdownReport breakdown)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        return new ReportChart($"Won {breakdown.Currency} revenue by {breakdown.Dimension.ToLowerInvariant()}", ChartKind.Bars,
            breakdown.Rows.Select(r => new ChartPoint(breakdown.Names.GetValueOrDefault(r.Key) ?? r.Key, r.Revenue)).ToArray());
    }
}

/// <summary>One labelled value of a <see cref="ReportChart"/>.</summary>
/// <param name="Label">The bar's or point's label.</param>
/// <param name="Value">Its value.</param>
public sealed record ChartPoint(string Label, decimal Value);

/// <summary>Turns report results into tables, and tables into console text, CSV (RFC 4180), JSON and a self-contained HTML page with SVG charts.</summary>
public static class ReportRenderer
{
    /// <summary>The funnel as a table, numbers formatted for <paramref name="culture"/>.</summary>
    public static ReportTable Table(FunnelReport funnel, CultureInfo culture)
    {
        ArgumentNullException.ThrowIfNull(funnel);
        ArgumentNullException.ThrowIfNull(culture);
        return new ReportTable("Funnel", ["Stage", "Deals", "Amount", "Conversion", "Drop-off"],
            funnel.Stages.Select(s => (IReadOnlyList<string>)
            [
                s.Stage,
                s.Deals.ToString("N0", culture),
                string.Join(" + ", s.Amounts.Select(m => m.Amount.ToString("N2", culture) + " " + m.Currency)),
                s.ConversionToNext?.ToString("P1", culture) ?? "",
                s.DropOff?.ToString("P1", culture) ?? "",
            ]).ToArray());
    }

    /// <summary>The ABC classes as a table.</summary>
    public static ReportTable Table(AbcReport abc, CultureInfo culture)
    {
        ArgumentNullException.ThrowIfNull(abc);
        ArgumentNullException.ThrowIfNull(culture);
        return new ReportTable($"ABC of clients by won {abc.Currency} revenue", ["Class", "Clients", "Revenue"],
            new[] { 'A', 'B', 'C' }.Select(c => (IReadOnlyList<string>)
            [
                c.ToString(),
                abc.Clients.Count(x => x.Class == c).ToString("N0", culture),
                abc.Clients.Where(x => x.Class == c).Sum(x => x.Revenue).ToString("N2", culture) + " " + abc.Currency,
            ]).ToArray());
    }

    /// <summary>A breakdown as a table; by owner or team, each id with its display name beside it.</summary>
    public static ReportTable Table(BreakdownReport breakdown, CultureInfo culture)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        ArgumentNullException.ThrowIfNull(culture);
        var title = $"Won {breakdown.Currency} revenue by {breakdown.Dimension.ToLowerInvariant()}";
        if (breakdown.Names.Count > 0)
        {
            // Owner and team keys are ids: their names go beside them.
            return new ReportTable(title, [breakdown.Dimension, "Name", "Deals", "Revenue"],
                breakdown.Rows.Select(r => (IReadOnlyList<string>)[r.Key, breakdown.Names.GetValueOrDefault(r.Key) ?? "", r.Deals.ToString("N0", culture), r.Revenue.ToString("N2", culture)]).ToArray())
            {
                TextColumns = 2,
            };
        }

        return new ReportTable(title, [breakdown.Dimension, "Deals", "Revenue"],
            breakdown.Rows.Select(r => (IReadOnlyList<string>)[r.Key, r.Deals.ToString("N0", culture), r.Revenue.ToString("N2", culture)]).ToArray());
    }

    /// <summary>The KPI monitor as a table: one row per employee (id and name) and period, each KPI as actual / target (completion), then the score.</summary>
    public static ReportTable Table(IReadOnlyList<KpiRow> kpis, CultureInfo culture)
    {
        ArgumentNullException.ThrowIfNull(kpis);
        ArgumentNullException.ThrowIfNull(culture);
        var ids = new List<string>();
        foreach (var value in kpis.SelectMany(r => r.Values))
        {
            if (!ids.Contains(value.Kpi))
            {
                ids.Add(value.Kpi);
            }
        }

        return new ReportTable("KPI monitor", ["Employee", "Name", "Period", .. ids, "Score"],
            kpis.Select(r => (IReadOnlyList<string>)
            [
                r.Employee,
                r.EmployeeName ?? r.Employee,
                $"{r.Period.Start.ToString("yyyy-MM-dd", culture)} – {r.Period.End.ToString("yyyy-MM-dd", culture)}",
                .. ids.Select(id => r.Values.FirstOrDefault(v => v.Kpi == id) is { } v
                    ? $"{v.Actual.ToString("#,0.##", culture)} / {v.Target.ToString("#,0.##", culture)} ({v.Completion?.ToString("P0", culture) ?? "–"})"
                    : ""),
                r.Score.ToString("P0", culture),
            ]).ToArray())
        {
            TextColumns = 2,
        };
    }

    /// <summary>Plain text with aligned columns.</summary>
    public static string ToConsole(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var widths = table.Headers.Select((h, i) => Math.Max(h.Length, table.Rows.Count == 0 ? 0 : table.Rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder().Append(table.Title).Append('\n');
        text.Append(string.Join("  ", table.Headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd()).Append('\n');
        text.Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        foreach (var row in table.Rows)
        {
            text.Append(string.Join("  ", row.Select((c, i) => i < table.TextColumns ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>CSV per RFC 4180: comma-separated, CRLF line ends, fields with commas, quotes or line breaks quoted, quotes doubled.</summary>
    public static string ToCsv(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        static string Field(string value) =>
            value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
        var csv = new StringBuilder();
        csv.Append(string.Join(",", table.Headers.Select(Field))).Append("\r\n");
        foreach (var row in table.Rows)
        {
            csv.Append(string.Join(",", row.Select(Field))).Append("\r\n");
        }

        return csv.ToString();
    }

    /// <summary>JSON: the title and an array of objects keyed by the headers.</summary>
    public static string ToJson(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = table.Rows.Select(r => table.Headers.Select((h, i) => (h, r[i])).ToDictionary(x => x.h, x => x.Item2)).ToArray();
        return JsonSerializer.Serialize(new { title = table.Title, rows }, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A self-contained HTML page: every table, a horizontal-bar SVG chart of the funnel, a pie of the ABC classes, and any further bar or line charts.</summary>
    /// <param name="title">The page title.</param>
    /// <param name="tables">The tables, in order.</param>
    /// <param name="funnel">A funnel to draw as bars (the bottleneck in red).</param>
    /// <param name="abc">An ABC analysis to draw as a pie.</param>
    /// <param name="charts">Further bar and line charts (breakdowns, trends).</param>
    public static string ToHtml(string title, IReadOnlyList<ReportTable> tables, FunnelReport? funnel = null, AbcReport? abc = null, IReadOnlyList<ReportChart>? charts = null)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title><style>")
            .Append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}")
            .Append("</style></head><body><h1>").Append(E(title)).Append("</h1>");
        if (funnel is { Stages.Count: > 0 })
        {
            var max = Math.Max(1, funnel.Stages.Max(s => s.Deals));
            html.Append("<h2>Funnel</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"").Append(funnel.Stages.Count * 34 + 10).Append("\" role=\"img\">");
            for (var i = 0; i < funnel.Stages.Count; i++)
            {
                var s = funnel.Stages[i];
                var width = (int)Math.Round(460.0 * s.Deals / max);
                var x = 140 + (460 - width) / 2;
                html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{i * 34 + 5}\" width=\"{width}\" height=\"26\" fill=\"{(funnel.Bottleneck == s.Stage ? "#d9534f" : "#4a7bd0")}\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{i * 34 + 23}\" font-size=\"13\">{E(s.Stage)}</text>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"610\" y=\"{i * 34 + 23}\" font-size=\"13\">{s.Deals}</text>");
            }

            html.Append("</svg>");
        }

        if (abc is { Clients.Count: > 0 })
        {
            var total = abc.Clients.Sum(c => c.Revenue);
            html.Append("<h2>ABC</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"220\" role=\"img\">");
            double angle = -Math.PI / 2;
            foreach (var (cls, color) in new[] { ('A', "#4a7bd0"), ('B', "#f0ad4e"), ('C', "#9b9b9b") })
            {
                var portion = total == 0m ? 0m : abc.Clients.Where(c => c.Class == cls).Sum(c => c.Revenue) / total;
                var share = (double)portion; // for the SVG geometry only; amounts stay decimal
                if (share <= 0)
                {
                    continue;
                }

                var end = angle + share * 2 * Math.PI;
                var large = share > 0.5 ? 1 : 0;
                html.Append(CultureInfo.InvariantCulture,
                    $"<path d=\"M110,110 L{110 + 100 * Math.Cos(angle):0.##},{110 + 100 * Math.Sin(angle):0.##} A100,100 0 {large} 1 {110 + 100 * Math.Cos(end):0.##},{110 + 100 * Math.Sin(end):0.##} Z\" fill=\"{color}\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"230\" y=\"{60 + "ABC".IndexOf(cls, StringComparison.Ordinal) * 24}\" font-size=\"13\" fill=\"{color}\">{cls}: {share:P0}</text>");
                angle = end;
            }

            html.Append("</svg>");
        }

        foreach (var chart in charts ?? [])
        {
            AppendChart(html, chart);
        }

        foreach (var table in tables)
        {
            html.Append("<h2>").Append(E(table.Title)).Append("</h2><table><tr>");
            foreach (var header in table.Headers)
            {
                html.Append("<th>").Append(E(header)).Append("</th>");
            }

            html.Append("</tr>");
            foreach (var row in table.Rows)
            {
                html.Append("<tr>");
                foreach (var cell in row)
                {
                    html.Append("<td>").Append(E(cell)).Append("</td>");
                }

                html.Append("</tr>");
            }

            html.Append("</table>");
        }

        return html.Append("</body></html>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static void AppendChart(StringBuilder html, ReportChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        html.Append("<h2>").Append(E(chart.Title)).Append("</h2>");
        if (chart.Points.Count == 0)
        {
            html.Append("<p>No data.</p>");
            return;
        }

        // Geometry only: values stay decimal everywhere else.
        var max = (double)Math.Max(chart.Points.Max(p => Math.Abs(p.Value)), 1m);
        if (chart.Kind == ChartKind.Bars)
        {
            html.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"").Append(chart.Points.Count * 28 + 10).Append("\" role=\"img\">");
            for (var i = 0; i < chart.Points.Count; i++)
            {
                var (label, value) = chart.Points[i];
                var width = (int)Math.Round(400.0 * Math.Abs((double)value) / max);
                html.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{i * 28 + 22}\" font-size=\"13\">{E(label)}</text>")
                    .Append(CultureInfo.InvariantCulture, $"<rect x=\"140\" y=\"{i * 28 + 6}\" width=\"{width}\" height=\"22\" fill=\"#4a7bd0\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"{146 + width}\" y=\"{i * 28 + 22}\" font-size=\"12\">{value:N0}</text>");
            }
        }
        else
        {
            const int Width = 600, Height = 200, Left = 40, Top = 10;
            var step = chart.Points.Count == 1 ? 0.0 : (double)(Width - Left - 20) / (chart.Points.Count - 1);
            html.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height + 40}\" role=\"img\">")
                .Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + Height}\" x2=\"{Width - 10}\" y2=\"{Top + Height}\" stroke=\"#999\"/>")
                .Append("<polyline fill=\"none\" stroke=\"#4a7bd0\" stroke-width=\"2\" points=\"");
            for (var i = 0; i < chart.Points.Count; i++)
            {
                var y = Top + Height - Height * (double)chart.Points[i].Value / max;
                html.Append(CultureInfo.InvariantCulture, $"{Left + i * step:0.##},{y:0.##} ");
            }

            html.Append("\"/>");
            for (var i = 0; i < chart.Points.Count; i++)
            {
                var (label, value) = chart.Points[i];
                var y = Top + Height - Height * (double)value / max;
                html.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Left + i * step:0.##}\" cy=\"{y:0.##}\" r=\"3\" fill=\"#4a7bd0\"><title>{E(label)}: {value:N0}</title></circle>")
                    .Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + i * step:0.##}\" y=\"{Top + Height + 18}\" font-size=\"11\" text-anchor=\"middle\">{E(label)}</text>");
            }
        }

        html.Append("</svg>");
    }
}
