using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>Sales velocity in two periods and its change.</summary>
/// <param name="Current">Velocity over deals of the current period.</param>
/// <param name="Previous">Velocity over deals of the previous period.</param>
/// <param name="Change">(current − previous) ÷ previous of <see cref="VelocityReport.PerDay"/>; null when the previous is zero.</param>
public sealed record VelocityChange(VelocityReport Current, VelocityReport Previous, decimal? Change);

/// <summary>Sales velocity per manager and period over period (each factor shown in every <see cref="VelocityReport"/>).</summary>
public static class VelocityReports
{
    /// <summary>Velocity of each manager who owns deals in the snapshot (and passes the filter), in owner order.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyDictionary<string, VelocityReport> ByOwner(ReportData data, string currency, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(currency);
        var result = new SortedDictionary<string, VelocityReport>(StringComparer.Ordinal);
        foreach (var owner in ManagerReports.Owners(data, filter))
        {
            result[owner] = Forecasts.Velocity(data, currency, (filter ?? new ReportFilter()) with { Owners = new HashSet<string> { owner } });
        }

        return result;
    }

    /// <summary>Velocity over the deals of <paramref name="current"/> against those of <paramref name="previous"/>, and the change.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static VelocityChange Compare(ReportData data, string currency, DateInterval current, DateInterval previous, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("VelocityReports.Compare", data, () => CompareCore(data, currency, current, previous, filter));
    }

    private static VelocityChange CompareCore(ReportData data, string currency, DateInterval current, DateInterval previous, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(previous);
        var now = Forecasts.Velocity(data, currency, (filter ?? new ReportFilter()) with { Period = current });
        var before = Forecasts.Velocity(data, currency, (filter ?? new ReportFilter()) with { Period = previous });
        return new VelocityChange(now, before, before.PerDay == 0m ? null : (now.PerDay - before.PerDay) / before.PerDay);
    }
}
