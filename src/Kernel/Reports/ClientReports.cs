using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>Reports about client cards over a <see cref="ReportData"/> snapshot.</summary>
public static class ClientReports
{
    /// <summary>
    /// Days from a client's registration to their first sale (the earliest close of a won deal), over clients with a
    /// sale. The first sale is the client's first ever among the deals the filter keeps (owner, team, industry, region,
    /// source); <see cref="ReportFilter.Period"/> then keeps the clients whose first sale closed in it, so a client
    /// who first bought last year does not count as a first sale this year.
    /// </summary>
    public static DurationStats FirstSaleCycle(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var first = new long[data.Clients.Count];
        Array.Fill(first, long.MaxValue);
        for (var d = 0; d < data.DealCount; d++)
        {
            if (data.DealOutcome[d] == DealOutcome.Won && data.DealClosed[d] >= 0 && (filter is null || filter.IncludesDeal(data, d)))
            {
                var client = data.DealClient[d];
                first[client] = Math.Min(first[client], data.DealClosed[d]);
            }
        }

        var zone = filter?.Zone ?? DateTimeZone.Utc;
        var days = new List<double>();
        Int128 ticks = 0;
        for (var c = 0; c < first.Length; c++)
        {
            if (first[c] == long.MaxValue
                || (filter?.Period is { } period && !period.Contains(Instant.FromUnixTimeTicks(first[c]).InZone(zone).Date)))
            {
                continue;
            }

            var span = first[c] - data.ClientRegistered[c];
            ticks += span;
            days.Add(span / (double)NodaConstants.TicksPerDay);
        }

        return SalesReports.Stats([.. days], ticks);
    }
}
