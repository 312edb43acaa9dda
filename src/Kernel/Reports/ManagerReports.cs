using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>One manager's funnel and their own bottleneck.</summary>
/// <param name="Owner">The manager (user id).</param>
/// <param name="Funnel">Their funnel.</param>
public sealed record ManagerFunnel(string Owner, FunnelReport Funnel)
{
    /// <summary>The manager's display name (the user's name; their id when the snapshot has none).</summary>
    public string? OwnerName { get; init; }
}

/// <summary>For one stage, the managers who convert best there (the source material suggests splitting the path by strong stages).</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Best">Managers with at least the minimum number of deals there, best conversion first.</param>
public sealed record StageLeaders(string Stage, IReadOnlyList<StageLeader> Best);

/// <summary>One manager's conversion in a stage (a row of <see cref="StageLeaders"/>).</summary>
/// <param name="Owner">The manager (user id).</param>
/// <param name="Conversion">The share of their deals in the stage that moved on.</param>
/// <param name="Deals">Their deals that entered the stage.</param>
public sealed record StageLeader(string Owner, decimal Conversion, int Deals);

/// <summary>The won cycle per manager and per month of closing.</summary>
/// <param name="ByOwner">Per manager.</param>
/// <param name="ByMonth">Per month of the close date (in the filter's zone), as yyyy-MM.</param>
public sealed record CycleBreakdown(IReadOnlyDictionary<string, DurationStats> ByOwner, IReadOnlyDictionary<string, DurationStats> ByMonth);

/// <summary>Per-manager views of the funnel and the sales cycle.</summary>
public static class ManagerReports
{
    /// <summary>Each manager's funnel (with their own bottleneck), in owner order.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<ManagerFunnel> Funnels(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var owners = Owners(data, filter);
        return owners.Select(o => new ManagerFunnel(o, SalesReports.Funnel(data, (filter ?? new ReportFilter()) with { Owners = new HashSet<string> { o } }))
        {
            OwnerName = SalesReports.NameOfOwner(data, o),
        }).ToArray();
    }

    /// <summary>For every stage of the path, the managers ranked by their conversion there (at least <paramref name="minimumDeals"/> deals).</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<StageLeaders> StageLeaders(ReportData data, int minimumDeals = 5, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var funnels = Funnels(data, filter);
        var stages = SalesReports.Funnel(data, filter).Stages.Where(s => s.ConversionToNext is not null).Select(s => s.Stage);
        return stages.Select(stage => new StageLeaders(stage, funnels
            .Select(f => (f.Owner, Stage: f.Funnel.Stages.FirstOrDefault(s => s.Stage == stage)))
            .Where(x => x.Stage is { ConversionToNext: not null } && x.Stage.Deals >= minimumDeals)
            .Select(x => new StageLeader(x.Owner, x.Stage!.ConversionToNext!.Value, x.Stage.Deals))
            .OrderByDescending(x => x.Conversion).ThenBy(x => x.Owner, StringComparer.Ordinal)
            .ToArray())).ToArray();
    }

    /// <summary>The won cycle (opened → won, days) per manager and per month of closing.</summary>
    public static CycleBreakdown Cycles(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var zone = filter?.Zone ?? DateTimeZone.Utc;
        var byOwner = Owners(data, filter).ToDictionary(o => o, o => SalesReports.WonCycle(data, (filter ?? new ReportFilter()) with { Owners = new HashSet<string> { o } }), StringComparer.Ordinal);
        var months = new SortedSet<(int Year, int Month)>();
        for (var d = 0; d < data.DealCount; d++)
        {
            if (data.DealOutcome[d] == DealOutcome.Won && data.DealClosed[d] >= 0)
            {
                var date = Instant.FromUnixTimeTicks(data.DealClosed[d]).InZone(zone).Date;
                months.Add((date.Year, date.Month));
            }
        }

        var byMonth = months.ToDictionary(
            m => $"{m.Year:D4}-{m.Month:D2}",
            m => SalesReports.WonCycle(data, (filter ?? new ReportFilter()) with
            {
                Period = new DateInterval(new LocalDate(m.Year, m.Month, 1), new LocalDate(m.Year, m.Month, 1).PlusMonths(1).PlusDays(-1)),
                Zone = zone,
            }), StringComparer.Ordinal);
        return new CycleBreakdown(byOwner, byMonth);
    }

    /// <summary>The owners of the snapshot's deals that pass the filter, in ordinal order.</summary>
    internal static IReadOnlyList<string> Owners(ReportData data, ReportFilter? filter)
    {
        var seen = new bool[data.Owners.Count];
        for (var d = 0; d < data.DealCount; d++)
        {
            seen[data.DealOwner[d]] = true;
        }

        return Enumerable.Range(0, seen.Length).Where(i => seen[i] && (filter is null || filter.IncludesOwner(data, i)))
            .Select(i => data.Owners[i]).Order(StringComparer.Ordinal).ToArray();
    }
}
