using System.Globalization;
using Crm.Abstractions;
using Crm.Kernel.Hosting;

namespace Crm.Samples.Quickstart;

/// <summary>Prints the Kanban board as the head sees it and the tail of the journal.</summary>
internal static class Reports
{
    public static async Task PrintAsync(CrmKernel kernel, TenantId tenant, TextWriter output)
    {
        var head = kernel.OpenSession(tenant, new UserId("helga"));
        var board = await head.Deals.GetBoardAsync(SalesSimulation.Pipeline, new Crm.Kernel.Deals.KanbanQuery { PageSize = 3 });
        output.WriteLine();
        output.WriteLine($"Kanban board '{board.Pipeline.Name}' as the head sees it");
        var rows = board.Columns.Select(c => new[]
        {
            c.Stage.Name,
            c.Count.ToString(CultureInfo.InvariantCulture),
            string.Join(" + ", c.Totals.Select(t => t.Amount.ToString("N0", CultureInfo.InvariantCulture) + " " + t.Currency)),
            string.Join(", ", c.Cards.Select(card => card.Deal.Title?.Replace("Deal with ", "", StringComparison.Ordinal))) + (c.HasMore ? ", …" : ""),
        }).ToList();
        Table.Write(output, ["Stage", "Deals", "Amount", "Newest cards"], rows);

        var admin = kernel.OpenSession(tenant, new UserId("admin"));
        var entries = new List<Crm.Kernel.Journal.JournalEntry>();
        long position = 0;
        while (true)
        {
            var page = await admin.Journal.ListAsync(position, 5000);
            if (page.Count == 0)
            {
                break;
            }

            entries.AddRange(page);
            position = page[^1].Position;
        }

        output.WriteLine();
        output.WriteLine($"Journal: {entries.Count} events; by cause: " + string.Join(", ", entries.GroupBy(e => e.Cause.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        output.WriteLine("Last 12 events:");
        Table.Write(output, ["#", "When (UTC)", "Event", "Record", "By", "Cause"], entries.TakeLast(12).Select(e => new[]
        {
            e.Position.ToString(CultureInfo.InvariantCulture),
            e.OccurredAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            e.Event.GetType().Name,
            $"{e.StreamKind}/{(e.StreamId.Length > 10 ? e.StreamId[..10] : e.StreamId)}",
            e.Actor?.Value ?? "system",
            e.Cause.Description ?? e.Cause.Kind.ToString(),
        }).ToList());

        // The small-deal rule's report, as the head sees it.
        var compliance = await head.Rules.GetComplianceAsync(new RuleId("small-deal-offer"));
        output.WriteLine();
        output.WriteLine("Rule 'Small deal: offer within 5 days'");
        Table.Write(output, ["Outcome", "Deals"],
        [
            ["offer within 5 days", compliance.Met.Count.ToString(CultureInfo.InvariantCulture)],
            ["no offer within 5 days", compliance.Violated.Count.ToString(CultureInfo.InvariantCulture)],
            ["exempted (approved exception)", compliance.Exempted.Count.ToString(CultureInfo.InvariantCulture)],
            ["still running", compliance.Pending.Count.ToString(CultureInfo.InvariantCulture)],
        ]);
        Table.Write(output, ["Seller", "Small deals", "Flagged Complex", "Share", "Suspicious (>= 40%)"], compliance.Sellers.Select(x => new[]
        {
            x.Seller.Value, x.Deals.ToString(CultureInfo.InvariantCulture), x.Flagged.ToString(CultureInfo.InvariantCulture),
            x.Share.ToString("P0", CultureInfo.InvariantCulture), x.Suspicious ? "yes" : "",
        }).ToList());

        var events = entries.Select(e => e.Event).ToArray();
        output.WriteLine();
        output.WriteLine("What the kernel did by itself");
        Table.Write(output, ["What", "Count"],
        [
            ["goal reactions (journal entries caused by goals)", entries.Count(e => e.Cause.Kind == CauseKind.Goal).ToString(CultureInfo.InvariantCulture)],
            ["rule actions and outcomes", entries.Count(e => e.Cause.Kind == CauseKind.Rule).ToString(CultureInfo.InvariantCulture)],
            ["process steps entered", events.OfType<Crm.Abstractions.Events.ProcessStepEntered>().Count().ToString(CultureInfo.InvariantCulture)],
            ["deliveries completed", events.OfType<Crm.Abstractions.Events.ProcessStepEntered>().Count(x => x.Completed).ToString(CultureInfo.InvariantCulture)],
            ["notifications (reminders, escalations, digests…)", events.OfType<Crm.Abstractions.Events.NotificationRequested>().Count().ToString(CultureInfo.InvariantCulture)],
            ["daily digests to the head", events.OfType<Crm.Abstractions.Events.DigestSent>().Count().ToString(CultureInfo.InvariantCulture)],
            ["calls (recognized callers)", $"{events.OfType<Crm.Abstractions.Events.CallEnded>().Count()} ({events.OfType<Crm.Abstractions.Events.CallerRecognized>().Count()})"],
            ["invoices paid", events.OfType<Crm.Abstractions.Events.InvoicePaid>().Count().ToString(CultureInfo.InvariantCulture)],
            ["paid revenue (NOK)", events.OfType<Crm.Abstractions.Events.InvoicePaid>().Sum(x => x.Amount.Amount).ToString("N2", CultureInfo.InvariantCulture)],
        ]);

        // The sales reports, as the head sees them, and an HTML page with SVG charts.
        var data = await head.Reports.GetSnapshotAsync(SalesSimulation.Pipeline);
        var funnel = Crm.Kernel.Reports.SalesReports.Funnel(data);
        var abc = Crm.Kernel.Reports.SalesReports.Abc(data, "NOK");
        var cycle = Crm.Kernel.Reports.SalesReports.WonCycle(data);
        var culture = CultureInfo.InvariantCulture;
        var byIndustry = Crm.Kernel.Reports.SalesReports.Breakdown(data, Crm.Kernel.Reports.Dimension.Industry, "NOK");
        var byOwner = Crm.Kernel.Reports.SalesReports.Breakdown(data, Crm.Kernel.Reports.Dimension.Owner, "NOK");
        var tables = new[]
        {
            Crm.Kernel.Reports.ReportRenderer.Table(funnel, culture),
            Crm.Kernel.Reports.ReportRenderer.Table(abc, culture),
            Crm.Kernel.Reports.ReportRenderer.Table(byIndustry, culture),
            Crm.Kernel.Reports.ReportRenderer.Table(byOwner, culture),
        };
        foreach (var table in tables)
        {
            output.WriteLine();
            output.Write(Crm.Kernel.Reports.ReportRenderer.ToConsole(table));
        }

        output.WriteLine($"Bottleneck: {funnel.Bottleneck}; won cycle: {cycle.Count} deals, median {cycle.MedianDays:0.0} days, p90 {cycle.P90Days:0.0} days.");
        var firstSale = Crm.Kernel.Reports.ClientReports.FirstSaleCycle(data);
        output.WriteLine($"Client registration to first sale: {firstSale.Count} clients, median {firstSale.MedianDays:0.0} days, p90 {firstSale.P90Days:0.0} days.");

        // Velocity per seller, each factor shown.
        output.WriteLine();
        output.WriteLine("Sales velocity per seller (NOK per day = open × win rate × average won ÷ average cycle)");
        Table.Write(output, ["Seller", "Open", "Win rate", "Avg won", "Avg cycle (days)", "NOK/day"],
            Crm.Kernel.Reports.VelocityReports.ByOwner(data, "NOK").Select(v => new[]
            {
                v.Key, v.Value.OpenDeals.ToString(culture), v.Value.WinRate.ToString("P0", culture), v.Value.AverageWonAmount.ToString("N0", culture),
                v.Value.AverageCycleDays.ToString("0.0", culture), v.Value.PerDay.ToString("N0", culture),
            }).ToList());

        // The KPI monitor for the quarter, against the team's plans (the head sees the team).
        var quarter = new NodaTime.DateInterval(new NodaTime.LocalDate(2026, 1, 1), new NodaTime.LocalDate(2026, 3, 31));
        Crm.Kernel.Reports.KpiDefinition[] kpis =
        [
            new("calls", Crm.Kernel.Reports.KpiMeasure.Calls, 1m),
            new("won NOK", Crm.Kernel.Reports.KpiMeasure.WonRevenue, 3m, "NOK"),
            new("conversion", Crm.Kernel.Reports.KpiMeasure.Conversion, 2m),
        ];
        var plans = new[] { "kari", "nils", "ola" }.SelectMany(seller => new[]
        {
            new Crm.Kernel.Reports.KpiPlan(new UserId(seller), "calls", quarter, 90m),
            new Crm.Kernel.Reports.KpiPlan(new UserId(seller), "won NOK", quarter, 650_000m),
            new Crm.Kernel.Reports.KpiPlan(new UserId(seller), "conversion", quarter, 0.5m),
        }).ToArray();
        var kpiTable = Crm.Kernel.Reports.ReportRenderer.Table(Crm.Kernel.Reports.KpiMonitor.Run(data, kpis, plans,
            new Crm.Kernel.Reports.ReportFilter { Zone = NodaTime.DateTimeZoneProviders.Tzdb["Europe/Oslo"] }), culture);
        output.WriteLine();
        output.Write(Crm.Kernel.Reports.ReportRenderer.ToConsole(kpiTable));
        tables = [.. tables, kpiTable];
        var html = Path.GetFullPath("quickstart-report.html");
        var monthly = Crm.Kernel.Reports.ReportDesigner.Run(data, new Crm.Kernel.Reports.ReportDefinition("Won per month", [Crm.Kernel.Reports.Dimension.Month], [Crm.Kernel.Reports.Measure.Sum], "NOK") { WonOnly = true });
        var charts = new[]
        {
            Crm.Kernel.Reports.ReportChart.Of(byOwner),
            Crm.Kernel.Reports.ReportChart.Of(byIndustry),
            new Crm.Kernel.Reports.ReportChart("Won NOK revenue per month the deal opened", Crm.Kernel.Reports.ChartKind.Line, monthly.Select(r => new Crm.Kernel.Reports.ChartPoint(r.Keys[0], r.Values[0])).ToArray()),
        };
        await File.WriteAllTextAsync(html, Crm.Kernel.Reports.ReportRenderer.ToHtml("Quickstart sales report", tables, funnel, abc, charts));
        output.WriteLine($"HTML report with charts: {html}");

        var verification = await kernel.VerifyJournalAsync(tenant);
        output.WriteLine();
        output.WriteLine($"Journal replay check: {verification.EventsReplayed} events folded, {verification.RecordsCompared} records compared, {(verification.IsConsistent ? "consistent" : "DIFFERENCES: " + string.Join("; ", verification.Differences))}.");
    }
}

/// <summary>A plain console table.</summary>
internal static class Table
{
    public static void Write(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        }
    }
}
