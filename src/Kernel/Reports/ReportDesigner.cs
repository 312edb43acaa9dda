using Crm.Abstractions;
using Crm.Abstractions.Ports;
using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>What a designed report computes for each group.</summary>
public enum Measure
{
    /// <summary>Number of deals.</summary>
    Count = 0,
    /// <summary>Sum of amounts (in the definition's currency).</summary>
    Sum = 1,
    /// <summary>Mean amount.</summary>
    Average = 2,
    /// <summary>Median amount.</summary>
    Median = 3,
    /// <summary>Won ÷ (won + lost).</summary>
    Conversion = 4,
}

/// <summary>
/// A saved report definition (JSON-serializable, so a methodology can ship it): group by dimensions, compute measures,
/// filter. Amounts are taken in <see cref="Currency"/> only (other currencies are left out unless rates are given).
/// </summary>
/// <param name="Name">The report's name.</param>
/// <param name="GroupBy">The dimensions, outermost first.</param>
/// <param name="Measures">The measures.</param>
/// <param name="Currency">The currency of amounts.</param>
public sealed record ReportDefinition(string Name, IReadOnlyList<Dimension> GroupBy, IReadOnlyList<Measure> Measures, string Currency)
{
    /// <summary>Only won deals (revenue reports), or every deal.</summary>
    public bool WonOnly { get; init; }
}

/// <summary>One group of a designed report: its keys (one per dimension) and its values (one per measure).</summary>
public sealed record DesignedRow(IReadOnlyList<string> Keys, IReadOnlyList<decimal> Values)
{
    /// <summary>
    /// Each key as people read it, in the order of <see cref="Keys"/>: the user's or team's name for the owner and team
    /// dimensions (whose keys are ids), the key itself for the others. Empty when the row was built without names.
    /// </summary>
    public IReadOnlyList<string> KeyNames { get; init; } = [];
}

/// <summary>Runs <see cref="ReportDefinition"/>s over a snapshot.</summary>
public static class ReportDesigner
{
    /// <summary>Groups the snapshot's deals and computes the measures, rows in key order.</summary>
    /// <exception cref="CrmValidationException">No measure, or a currency the rates cannot convert.</exception>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<DesignedRow> Run(ReportData data, ReportDefinition definition, ReportFilter? filter = null, IExchangeRates? rates = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("ReportDesigner.Run", data, () => RunCore(data, definition, filter, rates));
    }

    private static IReadOnlyList<DesignedRow> RunCore(ReportData data, ReportDefinition definition, ReportFilter? filter = null, IExchangeRates? rates = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Measures is null || definition.Measures.Count == 0)
        {
            throw new CrmValidationException("measures", "name at least one measure.");
        }

        var groups = new SortedDictionary<string, (string[] Keys, string[] Names, List<decimal> Amounts, int Won, int Lost)>(StringComparer.Ordinal);
        var zone = filter?.Zone ?? DateTimeZone.Utc;
        var include = IncludeAll(data, filter);
        for (var d = 0; d < data.DealCount; d++)
        {
            if (!include[d] || definition.WonOnly && data.DealOutcome[d] != DealOutcome.Won)
            {
                continue;
            }

            var amount = AmountIn(data, d, definition.Currency, rates, zone);
            if (amount is null)
            {
                continue;
            }

            var keys = definition.GroupBy.Select(dim => Key(data, d, dim, zone)).ToArray();
            var groupKey = string.Join("\u001f", keys);
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = (keys, definition.GroupBy.Select((dim, i) => NameOf(data, d, dim, keys[i])).ToArray(), new List<decimal>(), 0, 0);
            }

            group.Amounts.Add(amount.Value);
            groups[groupKey] = group with
            {
                Won = group.Won + (data.DealOutcome[d] == DealOutcome.Won ? 1 : 0),
                Lost = group.Lost + (data.DealOutcome[d] == DealOutcome.Lost ? 1 : 0),
            };
        }

        return groups.Values.Select(g => new DesignedRow(g.Keys, definition.Measures.Select(m => Value(m, g.Amounts, g.Won, g.Lost)).ToArray()) { KeyNames = g.Names }).ToArray();
    }

    /// <summary>The display name of deal <paramref name="d"/>'s <paramref name="key"/> for <paramref name="dimension"/>.</summary>
    private static string NameOf(ReportData data, int d, Dimension dimension, string key)
    {
        if (dimension == Dimension.Owner)
        {
            return data.OwnerNames[data.DealOwner[d]];
        }

        if (dimension == Dimension.Team)
        {
            var team = data.OwnerTeam[data.DealOwner[d]];
            return team < 0 ? key : data.TeamNames[team];
        }

        return key;
    }

    private static decimal Value(Measure measure, List<decimal> amounts, int won, int lost)
    {
        switch (measure)
        {
            case Measure.Count:
                return amounts.Count;
            case Measure.Sum:
                return amounts.Sum();
            case Measure.Average:
                return amounts.Count == 0 ? 0m : amounts.Sum() / amounts.Count;
            case Measure.Median:
                var sorted = amounts.Order().ToArray();
                return sorted.Length == 0 ? 0m : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : Midpoint(sorted[sorted.Length / 2 - 1], sorted[sorted.Length / 2]);
            default:
                return won + lost == 0 ? 0m : (decimal)won / (won + lost);
        }
    }

    /// <summary>(<paramref name="low"/> + <paramref name="high"/>) ÷ 2, also when the sum leaves the decimal range but the midpoint does not.</summary>
    private static decimal Midpoint(decimal low, decimal high)
    {
        try
        {
            return (low + high) / 2m;
        }
        catch (OverflowException)
        {
            return low + (high - low) / 2m;
        }
    }

    private static decimal? AmountIn(ReportData data, int deal, string currency, IExchangeRates? rates, DateTimeZone zone)
    {
        var from = data.Currencies[data.DealCurrency[deal]];
        if (from == currency)
        {
            return data.DealAmount[deal];
        }

        if (rates is null)
        {
            return null;
        }

        var on = Instant.FromUnixTimeTicks(data.DealClosed[deal] >= 0 ? data.DealClosed[deal] : data.DealOpened[deal]).InZone(zone).Date;
        return rates.TryGetRate(from, currency, on, out var rate)
            ? data.DealAmount[deal] * rate
            : throw new CrmValidationException("currency", $"no {from}→{currency} rate for {on}; add it to the exchange rates.");
    }

    private static string Key(ReportData data, int d, Dimension dimension, DateTimeZone zone)
    {
        var client = data.DealClient[d];
        var index = dimension switch
        {
            Dimension.Region => data.ClientRegion[client],
            Dimension.City => data.ClientCity[client],
            Dimension.Industry => data.ClientIndustry[client],
            Dimension.Team => data.OwnerTeam[data.DealOwner[d]],
            Dimension.Source => data.DealSource[d],
            Dimension.Owner => data.DealOwner[d],
            Dimension.Stage => data.DealStage[d],
            _ => -2,
        };
        if (dimension is Dimension.Month or Dimension.Quarter or Dimension.ClosedMonth or Dimension.ClosedQuarter)
        {
            var closing = dimension is Dimension.ClosedMonth or Dimension.ClosedQuarter;
            var ticks = closing ? data.DealClosed[d] : data.DealOpened[d];
            if (ticks < 0)
            {
                return "(open)";
            }

            var date = Instant.FromUnixTimeTicks(ticks).InZone(zone).Date;
            return dimension is Dimension.Month or Dimension.ClosedMonth
                ? $"{date.Year:D4}-{date.Month:D2}"
                : $"{date.Year:D4}-Q{(date.Month + 2) / 3}";
        }

        if (index < 0)
        {
            return "(none)";
        }

        return dimension switch
        {
            Dimension.Region => data.Regions[index],
            Dimension.City => data.Cities[index],
            Dimension.Industry => data.Industries[index],
            Dimension.Team => data.Teams[index],
            Dimension.Source => data.Sources[index],
            Dimension.Owner => data.Owners[index],
            _ => data.Stages[index],
        };
    }

    private static bool[] IncludeAll(ReportData data, ReportFilter? filter)
    {
        var include = new bool[data.DealCount];
        for (var d = 0; d < data.DealCount; d++)
        {
            include[d] = filter is null || filter.IncludesDeal(data, d);
        }

        return include;
    }
}

/// <summary>Fixed exchange rates (e.g. the month's accounting rates), for reports.</summary>
public sealed class FixedExchangeRates : IExchangeRates
{
    private readonly Dictionary<(string, string), decimal> _rates = new();

    /// <summary>Adds a rate (and its inverse).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not positive.</exception>
    public FixedExchangeRates Add(string from, string to, decimal rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        _rates[(Money.RequireCurrency(from), Money.RequireCurrency(to))] = rate;
        _rates[(to, from)] = 1m / rate;
        return this;
    }

    /// <inheritdoc />
    public bool TryGetRate(string from, string to, LocalDate on, out decimal rate)
    {
        if (from == to)
        {
            rate = 1m;
            return true;
        }

        return _rates.TryGetValue((from, to), out rate);
    }
}
