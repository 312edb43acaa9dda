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
            var page = await admin.Journal.ReadAsync(position, 5000);
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
