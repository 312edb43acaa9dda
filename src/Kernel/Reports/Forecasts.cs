using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>Sales velocity with each of its factors.</summary>
/// <param name="Currency">The currency of the deal sizes.</param>
/// <param name="OpenDeals">Open opportunities.</param>
/// <param name="WinRate">Won ÷ (won + lost).</param>
/// <param name="AverageWonAmount">Average won deal in the currency.</param>
/// <param name="AverageCycleDays">Average days from opening to winning.</param>
/// <param name="PerDay">Open × win rate × average won ÷ average cycle: expected revenue per day.</param>
public sealed record VelocityReport(string Currency, int OpenDeals, decimal WinRate, decimal AverageWonAmount, decimal AverageCycleDays, decimal PerDay);

/// <summary>One key of a period-over-period comparison.</summary>
/// <param name="Key">The dimension's value.</param>
/// <param name="Current">Won revenue in the current period.</param>
/// <param name="Previous">Won revenue in the previous period.</param>
/// <param name="Growth">(current − previous) ÷ previous; null when previous is zero.</param>
public sealed record GrowthRow(string Key, decimal Current, decimal Previous, decimal? Growth)
{
    /// <summary>The key's display name for owners and teams (the user's or team's name); null for keys that are names already.</summary>
    public string? Name { get; init; }
}

/// <summary>The forecast for a horizon: the weighted pipeline by category beside a run-rate from history.</summary>
/// <param name="Currency">The currency.</param>
/// <param name="Weighted">Σ amount × probability of open deals expected to close in the horizon.</param>
/// <param name="Commit">Weighted amount of deals at probability ≥ 0.7.</param>
/// <param name="BestCase">Weighted amount at 0.4 ≤ probability &lt; 0.7.</param>
/// <param name="Pipeline">Weighted amount below 0.4.</param>
/// <param name="RunRate">Won revenue per day over the same number of days before the horizon, times the horizon's days.</param>
public sealed record ForecastReport(string Currency, decimal Weighted, decimal Commit, decimal BestCase, decimal Pipeline, decimal RunRate);

/// <summary>Velocity, growth and forecast calculators over a <see cref="ReportData"/> snapshot.</summary>
public static class Forecasts
{
    /// <summary>Sales velocity for deals in one currency (per owner: filter by owner).</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static VelocityReport Velocity(ReportData data, string currency, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("Forecasts.Velocity", data, () => VelocityCore(data, currency, filter));
    }

    private static VelocityReport VelocityCore(ReportData data, string currency, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        // One pass for the three factors: outcomes by opening date, won revenue and cycle by closing date (as the
        // Outcomes, WonRevenue and WonCycle reports filter them); the cycle's mean needs no sort.
        var byOpen = SalesReports.Include(data, filter, byClose: false);
        var byClose = SalesReports.Include(data, filter, byClose: true);
        var cur = SalesReports.IndexOf(data.Currencies, currency);
        var outcomes = data.DealOutcome;
        var closed = data.DealClosed;
        var opened = data.DealOpened;
        int won = 0, lost = 0, open = 0, wonInCurrency = 0, cycles = 0;
        decimal revenue = 0m;
        Int128 ticks = 0;
        for (var d = 0; d < outcomes.Length; d++)
        {
            var outcome = outcomes[d];
            if (byOpen is null || byOpen[d])
            {
                switch (outcome)
                {
                    case DealOutcome.Won: won++; break;
                    case DealOutcome.Lost: lost++; break;
                    default: open++; break;
                }
            }

            if (outcome == DealOutcome.Won && (byClose is null || byClose[d]))
            {
                if (data.DealCurrency[d] == cur)
                {
                    wonInCurrency++;
                    revenue += data.DealAmount[d];
                }

                if (closed[d] >= 0)
                {
                    cycles++;
                    ticks += closed[d] - opened[d];
                }
            }
        }

        var winRate = won + lost == 0 ? 0m : (decimal)won / (won + lost);
        var average = wonInCurrency == 0 ? 0m : revenue / wonInCurrency;
        var days = (decimal)SalesReports.MeanDays(ticks, cycles);
        var perDay = days == 0m ? 0m : open * winRate * average / days;
        return new VelocityReport(currency, open, winRate, average, days, perDay);
    }

    /// <summary>Won revenue by a dimension in two periods (by close date in the filter's zone), with the growth.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<GrowthRow> Growth(ReportData data, Dimension dimension, string currency, DateInterval current, DateInterval previous, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("Forecasts.Growth", data, () => GrowthCore(data, dimension, currency, current, previous, filter));
    }

    private static IReadOnlyList<GrowthRow> GrowthCore(ReportData data, Dimension dimension, string currency, DateInterval current, DateInterval previous, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var nowReport = SalesReports.Breakdown(data, dimension, currency, (filter ?? new ReportFilter()) with { Period = current });
        var beforeReport = SalesReports.Breakdown(data, dimension, currency, (filter ?? new ReportFilter()) with { Period = previous });
        var now = nowReport.Rows.ToDictionary(r => r.Key, r => r.Revenue);
        var before = beforeReport.Rows.ToDictionary(r => r.Key, r => r.Revenue);
        return now.Keys.Union(before.Keys).Order(StringComparer.Ordinal).Select(k =>
        {
            var c = now.GetValueOrDefault(k);
            var p = before.GetValueOrDefault(k);
            var name = nowReport.Names.GetValueOrDefault(k) ?? beforeReport.Names.GetValueOrDefault(k);
            return new GrowthRow(k, c, p, p == 0m ? null : (c - p) / p) { Name = name };
        }).ToArray();
    }

    /// <summary>The weighted pipeline of open deals expected to close in <paramref name="horizon"/>, beside a run-rate.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static ForecastReport Forecast(ReportData data, string currency, DateInterval horizon, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("Forecasts.Forecast", data, () => ForecastCore(data, currency, horizon, filter));
    }

    private static ForecastReport ForecastCore(ReportData data, string currency, DateInterval horizon, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(horizon);
        var cur = data.Currencies.ToList().IndexOf(currency);
        decimal commit = 0m, best = 0m, pipeline = 0m;
        for (var d = 0; d < data.DealCount; d++)
        {
            if (data.DealOutcome[d] != DealOutcome.Open || data.DealCurrency[d] != cur || data.DealExpectedClose[d] is not { } close || !horizon.Contains(close)
                || filter is not null && !filter.IncludesDeal(data, d))
            {
                continue;
            }

            var p = data.DealProbability[d] >= 0m ? data.DealProbability[d] : data.DealStage[d] >= 0 ? Math.Max(0m, data.StageProbability[data.DealStage[d]]) : 0m;
            var weighted = data.DealAmount[d] * p;
            if (p >= 0.7m)
            {
                commit += weighted;
            }
            else if (p >= 0.4m)
            {
                best += weighted;
            }
            else
            {
                pipeline += weighted;
            }
        }

        var length = Period.Between(horizon.Start, horizon.End.PlusDays(1), PeriodUnits.Days).Days;
        var lookback = new DateInterval(horizon.Start.PlusDays(-length), horizon.Start.PlusDays(-1));
        var history = SalesReports.WonRevenue(data, (filter ?? new ReportFilter()) with { Period = lookback }).ByCurrency.FirstOrDefault(r => r.Revenue.Currency == currency);
        return new ForecastReport(currency, commit + best + pipeline, commit, best, pipeline, history is null || history.Deals == 0 ? 0m : history.Revenue.Amount);
    }
}
