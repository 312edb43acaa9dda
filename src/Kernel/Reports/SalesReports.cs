using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>Which part of a snapshot a report covers. Every criterion is optional.</summary>
public sealed record ReportFilter
{
    /// <summary>Only deals of these owners (user ids).</summary>
    public IReadOnlySet<string>? Owners { get; init; }
    /// <summary>Only deals opened (funnel, cycle) or closed (revenue, plan-fact) within these dates, in <see cref="Zone"/>.</summary>
    public DateInterval? Period { get; init; }
    /// <summary>The time zone periods are read in.</summary>
    /// <value>Default UTC.</value>
    public DateTimeZone Zone { get; init; } = DateTimeZone.Utc;
    /// <summary>Only deals whose owner is in one of these teams (team ids).</summary>
    public IReadOnlySet<string>? Teams { get; init; }
    /// <summary>Only deals whose client is in one of these industries.</summary>
    public IReadOnlySet<string>? Industries { get; init; }
    /// <summary>Only deals whose client is in one of these regions.</summary>
    public IReadOnlySet<string>? Regions { get; init; }
    /// <summary>Only deals from one of these sources.</summary>
    public IReadOnlySet<string>? Sources { get; init; }

    /// <summary>Whether the owner at <paramref name="owner"/> passes the owner and team filters.</summary>
    internal bool IncludesOwner(ReportData data, int owner)
    {
        if (Owners is not null && !Owners.Contains(data.Owners[owner]))
        {
            return false;
        }

        if (Teams is not null)
        {
            var team = owner < data.OwnerTeam.Count ? data.OwnerTeam[owner] : -1;
            return team >= 0 && Teams.Contains(data.Teams[team]);
        }

        return true;
    }

    /// <summary>Whether any filter but the period narrows the deals.</summary>
    internal bool FiltersDeals => FiltersOwners || FiltersClientsOrSources;

    /// <summary>Whether the owner or team filter is set.</summary>
    internal bool FiltersOwners => Owners is not null || Teams is not null;

    /// <summary>Whether the industry, region or source filter is set.</summary>
    internal bool FiltersClientsOrSources => Industries is not null || Regions is not null || Sources is not null;

    /// <summary>Whether deal <paramref name="deal"/> passes every filter but the period.</summary>
    internal bool IncludesDeal(ReportData data, int deal) => IncludesOwner(data, data.DealOwner[deal]) && IncludesClientAndSource(data, deal);

    /// <summary>Whether deal <paramref name="deal"/> passes the industry, region and source filters.</summary>
    internal bool IncludesClientAndSource(ReportData data, int deal)
    {
        var client = data.DealClient[deal];
        return In(Industries, data.ClientIndustry[client], data.Industries)
            && In(Regions, data.ClientRegion[client], data.Regions)
            && In(Sources, data.DealSource[deal], data.Sources);
    }

    private static bool In(IReadOnlySet<string>? wanted, int index, IReadOnlyList<string> names) =>
        wanted is null || (index >= 0 && wanted.Contains(names[index]));
}

/// <summary>Deals by outcome and the win rate won ÷ (won + lost).</summary>
public sealed record OutcomeReport(int Won, int Lost, int Open, decimal WinRate);

/// <summary>One stage of the funnel.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Deals">Deals that ever entered it.</param>
/// <param name="Amounts">Their amounts, per currency.</param>
/// <param name="ConversionToNext">Share of them that entered the next stage of the path (null for the last).</param>
public sealed record FunnelStage(string Stage, int Deals, IReadOnlyList<Money> Amounts, decimal? ConversionToNext)
{
    /// <summary>1 − conversion.</summary>
    public decimal? DropOff => 1m - ConversionToNext;
}

/// <summary>The funnel along the path of open stages to the won stage; lost deals apart; the bottleneck is the stage with the lowest conversion.</summary>
public sealed record FunnelReport(IReadOnlyList<FunnelStage> Stages, int Lost, string? Bottleneck);

/// <summary>Statistics of a duration in days.</summary>
public sealed record DurationStats(int Count, double MeanDays, double MedianDays, double P90Days);

/// <summary>The sales cycle of won deals beside that of lost deals.</summary>
/// <param name="Won">Opened → won, in days.</param>
/// <param name="Lost">Opened → lost, in days.</param>
public sealed record CycleByOutcomeReport(DurationStats Won, DurationStats Lost);

/// <summary>Mean days per stage over finished stays, and the deals sitting in a stage longer than its norm.</summary>
public sealed record StageDurationReport(IReadOnlyList<StageDuration> Stages, IReadOnlyList<RottingDeal> Rotting)
{
    /// <summary>The display name of each owner in <see cref="Rotting"/>, by owner id.</summary>
    public IReadOnlyDictionary<string, string> OwnerNames { get; init; } = new Dictionary<string, string>();
}

/// <summary>One stage's row of a <see cref="StageDurationReport"/>.</summary>
/// <param name="Stage">The stage id.</param>
/// <param name="FinishedStays">Stays in the stage that have ended.</param>
/// <param name="MeanDays">Their mean length, in days.</param>
/// <param name="NormDays">The stage's norm in days, when it has one.</param>
public sealed record StageDuration(string Stage, int FinishedStays, double MeanDays, double? NormDays);

/// <summary>A deal sitting in its stage longer than the stage's norm.</summary>
/// <param name="Deal">The deal id.</param>
/// <param name="Owner">Its owner (user id).</param>
/// <param name="Stage">The stage it sits in.</param>
/// <param name="Days">Days in the stage so far.</param>
public sealed record RottingDeal(string Deal, string Owner, string Stage, double Days);

/// <summary>Won revenue per currency (never summed across currencies).</summary>
public sealed record RevenueReport(IReadOnlyList<CurrencyRevenue> ByCurrency);

/// <summary>Won revenue in one currency.</summary>
/// <param name="Revenue">The summed amount, in its currency.</param>
/// <param name="Deals">The number of won deals it sums.</param>
public sealed record CurrencyRevenue(Money Revenue, int Deals);

/// <summary>One client's ABC class.</summary>
/// <param name="Client">The client id.</param>
/// <param name="Revenue">Its won revenue in the report's currency.</param>
/// <param name="ShareBefore">The cumulative share of the clients ranked before it.</param>
/// <param name="Class">A, B or C.</param>
public sealed record AbcItem(string Client, decimal Revenue, decimal ShareBefore, char Class)
{
    /// <summary>The client's display name (the card's name; its id when the snapshot has none).</summary>
    public string? ClientName { get; init; }
}

/// <summary>ABC analysis of clients by won revenue in one currency.</summary>
public sealed record AbcReport(string Currency, IReadOnlyList<AbcItem> Clients, int A, int B, int C);

/// <summary>Won revenue in one currency grouped by a dimension.</summary>
public sealed record BreakdownReport(string Dimension, string Currency, IReadOnlyList<BreakdownRow> Rows)
{
    /// <summary>
    /// The display name of each row key that is an id (owners and teams: the user's or team's name), by key; empty for
    /// dimensions whose keys are names already (region, city, industry, source).
    /// </summary>
    public IReadOnlyDictionary<string, string> Names { get; init; } = new Dictionary<string, string>();
}

/// <summary>One row of a <see cref="BreakdownReport"/>.</summary>
/// <param name="Key">The dimension's value (a region, an owner id, a month…).</param>
/// <param name="Revenue">Won revenue in the report's currency.</param>
/// <param name="Deals">The number of won deals.</param>
public sealed record BreakdownRow(string Key, decimal Revenue, int Deals);

/// <summary>One plan period: plan, fact, completion = fact ÷ plan.</summary>
public sealed record PlanFactRow(string? Owner, LocalDate Start, LocalDate End, Money Plan, Money Fact, decimal? Completion)
{
    /// <summary>How many won deals make up <see cref="Fact"/>.</summary>
    public int WonDeals { get; init; }

    /// <summary>The owner's display name (null for a row of all owners).</summary>
    public string? OwnerName { get; init; }
}

/// <summary>The dimension a breakdown or a designed report groups by (stage, month and quarter: the designer only).</summary>
public enum Dimension
{
    /// <summary>The client's region.</summary>
    Region = 0,
    /// <summary>The client's city.</summary>
    City = 1,
    /// <summary>The client's industry.</summary>
    Industry = 2,
    /// <summary>The owner's team.</summary>
    Team = 3,
    /// <summary>The deal's source.</summary>
    Source = 4,
    /// <summary>The owner.</summary>
    Owner = 5,
    /// <summary>The deal's current stage (report designer).</summary>
    Stage = 6,
    /// <summary>The month the deal opened, yyyy-MM (report designer).</summary>
    Month = 7,
    /// <summary>The month the deal closed (won or lost), yyyy-MM, "(open)" for an open deal (report designer).</summary>
    ClosedMonth = 8,
    /// <summary>The quarter the deal opened, yyyy-Qn (report designer).</summary>
    Quarter = 9,
    /// <summary>The quarter the deal closed (won or lost), yyyy-Qn, "(open)" for an open deal (report designer).</summary>
    ClosedQuarter = 10,
}

/// <summary>
/// Which class gets the client whose cumulative share of revenue crosses a boundary of the ABC analysis (80 % between A
/// and B by default). Both conventions are in use; the default is the first.
/// </summary>
public enum AbcBoundary
{
    /// <summary>
    /// The crossing client goes to the upper class: a client is classed by the share of the clients ranked before it
    /// (A while that share is below 80 %), so the client that takes the cumulative share from 70 % to 90 % is A.
    /// </summary>
    CrossingClientInUpperClass = 0,
    /// <summary>
    /// The crossing client goes to the lower class: a client is classed by the cumulative share including itself (A while
    /// it is at most 80 %), so the client that takes the share from 70 % to 90 % is B, and one that reaches exactly 80 % is A.
    /// </summary>
    CrossingClientInLowerClass = 1,
}

/// <summary>
/// Pure report calculators over a <see cref="ReportData"/> snapshot: single passes over arrays, no LINQ grouping on the
/// hot path, money kept per currency.
/// </summary>
public static class SalesReports
{
    private const double TicksPerDay = NodaConstants.TicksPerDay;

    /// <summary>Deals by outcome and the win rate.</summary>
    public static OutcomeReport Outcomes(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var include = Include(data, filter, byClose: false);
        int won = 0, lost = 0, open = 0;
        var outcomes = data.DealOutcome;
        for (var d = 0; d < outcomes.Length; d++)
        {
            if (include is not null && !include[d])
            {
                continue;
            }

            switch (outcomes[d])
            {
                case DealOutcome.Won: won++; break;
                case DealOutcome.Lost: lost++; break;
                default: open++; break;
            }
        }

        return new OutcomeReport(won, lost, open, won + lost == 0 ? 0m : (decimal)won / (won + lost));
    }

    /// <summary>The funnel: deals and amounts that ever entered each stage, conversion, drop-off, bottleneck.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static FunnelReport Funnel(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("Funnel", data, () => FunnelCore(data, filter));
    }

    private static FunnelReport FunnelCore(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var include = Include(data, filter, byClose: false);
        var stages = data.Stages.Count;
        var currencies = data.Currencies.Count;
        var entered = new int[stages];
        // Per (stage, currency): the sum and how many deals entered (a key with a zero sum still shows).
        var amounts = new decimal[stages * currencies];
        var amountDeals = new int[stages * currencies];
        var path = new List<int>();
        for (var i = 0; i < stages; i++)
        {
            if (data.StageKinds[i] != StageKind.Lost)
            {
                path.Add(i);
            }
        }

        // Conversion p → p+1 counts the deals that entered both (always within [0, 1], even when deals skip a stage).
        var both = new int[path.Count];
        if (stages <= 64)
        {
            FunnelByMask(data, include, path, entered, amounts, amountDeals, both);
        }
        else
        {
            FunnelBySeen(data, include, path, entered, amounts, amountDeals, both);
        }

        var lost = 0;
        for (var i = 0; i < stages; i++)
        {
            if (data.StageKinds[i] == StageKind.Lost)
            {
                lost += entered[i];
            }
        }

        var result = new List<FunnelStage>(path.Count);
        string? bottleneck = null;
        var lowest = decimal.MaxValue;
        for (var p = 0; p < path.Count; p++)
        {
            var i = path[p];
            decimal? conversion = p + 1 < path.Count && entered[i] > 0 ? (decimal)both[p] / entered[i] : null;
            if (conversion is { } c && c < lowest)
            {
                lowest = c;
                bottleneck = data.Stages[i];
            }

            var money = new List<Money>();
            for (var cur = 0; cur < currencies; cur++)
            {
                if (amountDeals[i * currencies + cur] > 0)
                {
                    money.Add(Money.Of(amounts[i * currencies + cur], data.Currencies[cur]));
                }
            }

            result.Add(new FunnelStage(data.Stages[i], entered[i], money, conversion));
        }

        return new FunnelReport(result, lost, bottleneck);
    }

    /// <summary>One pass over the stays with the stages a deal entered as the bits of one word (up to 64 stages).</summary>
    private static void FunnelByMask(ReportData data, bool[]? include, List<int> path, int[] entered, decimal[] amounts, int[] amountDeals, int[] both)
    {
        var currencies = data.Currencies.Count;
        var pairs = new ulong[Math.Max(0, path.Count - 1)];
        for (var p = 0; p + 1 < path.Count; p++)
        {
            pairs[p] = (1UL << path[p]) | (1UL << path[p + 1]);
        }

        var stayDeal = data.StayDeal;
        var stayStage = data.StayStage;
        var previous = -1;
        var mask = 0UL;
        for (var s = 0; s < stayDeal.Length; s++)
        {
            var deal = stayDeal[s];
            if (deal != previous)
            {
                if (mask != 0)
                {
                    FlushMask(data, previous, mask, currencies, pairs, entered, amounts, amountDeals, both);
                }

                previous = deal;
                mask = 0;
            }

            if (include is null || include[deal])
            {
                mask |= 1UL << stayStage[s];
            }
        }

        if (mask != 0)
        {
            FlushMask(data, previous, mask, currencies, pairs, entered, amounts, amountDeals, both);
        }
    }

    private static void FlushMask(ReportData data, int deal, ulong mask, int currencies, ulong[] pairs, int[] entered, decimal[] amounts, int[] amountDeals, int[] both)
    {
        var currency = data.DealCurrency[deal];
        var amount = data.DealAmount[deal];
        for (var m = mask; m != 0; m &= m - 1)
        {
            var stage = System.Numerics.BitOperations.TrailingZeroCount(m);
            entered[stage]++;
            amounts[stage * currencies + currency] += amount;
            amountDeals[stage * currencies + currency]++;
        }

        for (var p = 0; p < pairs.Length; p++)
        {
            if ((mask & pairs[p]) == pairs[p])
            {
                both[p]++;
            }
        }
    }

    /// <summary>The same pass for snapshots of more than 64 stages, with a flag per stage.</summary>
    private static void FunnelBySeen(ReportData data, bool[]? include, List<int> path, int[] entered, decimal[] amounts, int[] amountDeals, int[] both)
    {
        var currencies = data.Currencies.Count;
        var seen = new bool[data.Stages.Count];
        var previousDeal = -1;
        for (var s = 0; s <= data.StayCount; s++)
        {
            var deal = s < data.StayCount ? data.StayDeal[s] : -1;
            if (deal != previousDeal)
            {
                for (var p = 0; p + 1 < path.Count; p++)
                {
                    if (seen[path[p]] && seen[path[p + 1]])
                    {
                        both[p]++;
                    }
                }

                Array.Clear(seen);
                previousDeal = deal;
            }

            if (deal < 0 || include is not null && !include[deal])
            {
                continue;
            }

            var stage = data.StayStage[s];
            if (!seen[stage])
            {
                seen[stage] = true;
                entered[stage]++;
                amounts[stage * currencies + data.DealCurrency[deal]] += data.DealAmount[deal];
                amountDeals[stage * currencies + data.DealCurrency[deal]]++;
            }
        }
    }

    /// <summary>Days from opening to winning, over won deals (the period filter reads the close date).</summary>
    public static DurationStats WonCycle(ReportData data, ReportFilter? filter = null) => Cycle(data, DealOutcome.Won, filter);

    /// <summary>Days from opening to losing, over lost deals (the period filter reads the close date).</summary>
    public static DurationStats LostCycle(ReportData data, ReportFilter? filter = null) => Cycle(data, DealOutcome.Lost, filter);

    /// <summary>
    /// The sales cycle by outcome: days from opening to closing over won deals and over lost deals, each with count, mean,
    /// median and p90, so the time a lost deal takes to die can be set beside the time a won one takes to close.
    /// </summary>
    public static CycleByOutcomeReport CycleByOutcome(ReportData data, ReportFilter? filter = null) =>
        new(Cycle(data, DealOutcome.Won, filter), Cycle(data, DealOutcome.Lost, filter));

    /// <summary>Days from opening to closing over the deals that ended with <paramref name="outcome"/> (the period filter reads the close date).</summary>
    /// <exception cref="CrmValidationException"><paramref name="outcome"/> is <see cref="DealOutcome.Open"/>: an open deal has no cycle yet.</exception>
    public static DurationStats Cycle(ReportData data, DealOutcome outcome, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (outcome is not (DealOutcome.Won or DealOutcome.Lost))
        {
            throw new CrmValidationException("outcome", $"a cycle ends when a deal is won or lost; got {outcome}. Use DealOutcome.Won or DealOutcome.Lost.");
        }

        var include = Include(data, filter, byClose: true);
        var outcomes = data.DealOutcome;
        var closed = data.DealClosed;
        var opened = data.DealOpened;
        var n = 0;
        for (var d = 0; d < outcomes.Length; d++)
        {
            if ((include is null || include[d]) && outcomes[d] == outcome && closed[d] >= 0)
            {
                n++;
            }
        }

        var days = new double[n];
        Int128 ticks = 0;
        n = 0;
        for (var d = 0; d < outcomes.Length; d++)
        {
            if ((include is null || include[d]) && outcomes[d] == outcome && closed[d] >= 0)
            {
                var span = closed[d] - opened[d];
                ticks += span;
                days[n++] = span / TicksPerDay;
            }
        }

        return Stats(days, ticks);
    }

    /// <summary>Mean days per stage over finished stays; deals in a stage longer than its norm at <paramref name="now"/>.</summary>
    public static StageDurationReport StageDurations(ReportData data, Instant now, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var include = Include(data, filter, byClose: false);
        var count = new int[data.Stages.Count];
        var total = new double[data.Stages.Count];
        var rotting = new List<RottingDeal>();
        var ownerNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var nowTicks = now.ToUnixTimeTicks();
        for (var s = 0; s < data.StayCount; s++)
        {
            var deal = data.StayDeal[s];
            if (include is not null && !include[deal])
            {
                continue;
            }

            var stage = data.StayStage[s];
            if (data.StayLeft[s] >= 0)
            {
                count[stage]++;
                total[stage] += (data.StayLeft[s] - data.StayEntered[s]) / TicksPerDay;
            }
            else if (data.StageNorms[stage] > 0 && data.StageKinds[stage] == StageKind.Open && nowTicks - data.StayEntered[s] > data.StageNorms[stage])
            {
                rotting.Add(new RottingDeal(data.DealIds[deal], data.Owners[data.DealOwner[deal]], data.Stages[stage], (nowTicks - data.StayEntered[s]) / TicksPerDay));
                ownerNames[data.Owners[data.DealOwner[deal]]] = data.OwnerNames[data.DealOwner[deal]];
            }
        }

        var stages = new List<StageDuration>();
        for (var i = 0; i < data.Stages.Count; i++)
        {
            if (count[i] > 0)
            {
                stages.Add(new StageDuration(data.Stages[i], count[i], total[i] / count[i], data.StageNorms[i] > 0 ? data.StageNorms[i] / TicksPerDay : null));
            }
        }

        return new StageDurationReport(stages, rotting) { OwnerNames = ownerNames };
    }

    /// <summary>Won revenue per currency.</summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static RevenueReport WonRevenue(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("WonRevenue", data, () => WonRevenueCore(data, filter));
    }

    private static RevenueReport WonRevenueCore(ReportData data, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var include = Include(data, filter, byClose: true);
        var sums = new decimal[data.Currencies.Count];
        var counts = new int[data.Currencies.Count];
        for (var d = 0; d < data.DealCount; d++)
        {
            if ((include is null || include[d]) && data.DealOutcome[d] == DealOutcome.Won)
            {
                sums[data.DealCurrency[d]] += data.DealAmount[d];
                counts[data.DealCurrency[d]]++;
            }
        }

        var rows = new List<CurrencyRevenue>();
        for (var c = 0; c < sums.Length; c++)
        {
            if (counts[c] > 0)
            {
                rows.Add(new CurrencyRevenue(Money.Of(sums[c], data.Currencies[c]), counts[c]));
            }
        }

        return new RevenueReport(rows);
    }

    /// <summary>
    /// ABC analysis of clients by won revenue in <paramref name="currency"/>, ranked by revenue (ties by client id); with
    /// the default <see cref="AbcBoundary.CrossingClientInUpperClass"/> each client is classed by the cumulative share of
    /// the clients ranked before it: below <paramref name="a"/> A, below <paramref name="a"/> + <paramref name="b"/> B,
    /// else C (default 80 / 15 / 5); with <see cref="AbcBoundary.CrossingClientInLowerClass"/> by the cumulative share
    /// including itself: at most <paramref name="a"/> A, at most <paramref name="a"/> + <paramref name="b"/> B, else C.
    /// </summary>
    /// <param name="data">The snapshot.</param>
    /// <param name="currency">The currency whose won revenue is ranked (others are left out).</param>
    /// <param name="filter">Which deals count (the period reads the close date).</param>
    /// <param name="a">The share of revenue class A covers, in (0, 1).</param>
    /// <param name="b">The share class B covers after A, with A + B ≤ 1.</param>
    /// <param name="boundary">Which class gets the client whose cumulative share crosses a boundary.</param>
    /// <exception cref="CrmValidationException">The shares are out of range, or <paramref name="boundary"/> is not a defined value.</exception>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static AbcReport Abc(ReportData data, string currency, ReportFilter? filter = null, decimal a = 0.80m, decimal b = 0.15m, AbcBoundary boundary = AbcBoundary.CrossingClientInUpperClass)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("Abc", data, () => AbcCore(data, currency, filter, a, b, boundary));
    }

    private static AbcReport AbcCore(ReportData data, string currency, ReportFilter? filter, decimal a, decimal b, AbcBoundary boundary)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (a is <= 0m or >= 1m || b < 0m || a + b > 1m)
        {
            throw new CrmValidationException("thresholds", $"A and B shares must be in (0, 1) with A + B ≤ 1; got {a} and {b}.");
        }

        if (boundary is not (AbcBoundary.CrossingClientInUpperClass or AbcBoundary.CrossingClientInLowerClass))
        {
            throw new CrmValidationException("boundary", $"must be CrossingClientInUpperClass or CrossingClientInLowerClass; got {(int)boundary}.");
        }

        var include = Include(data, filter, byClose: true);
        var cur = IndexOf(data.Currencies, currency);
        var revenue = new decimal[data.Clients.Count];
        var outcomes = data.DealOutcome;
        var currencies = data.DealCurrency;
        var clients = data.DealClient;
        var amounts = data.DealAmount;
        for (var d = 0; d < outcomes.Length; d++)
        {
            if ((include is null || include[d]) && outcomes[d] == DealOutcome.Won && currencies[d] == cur)
            {
                revenue[clients[d]] += amounts[d];
            }
        }

        var n = 0;
        for (var i = 0; i < revenue.Length; i++)
        {
            if (revenue[i] > 0m)
            {
                n++;
            }
        }

        var ranked = new int[n];
        n = 0;
        decimal total = 0m;
        for (var i = 0; i < revenue.Length; i++)
        {
            if (revenue[i] > 0m)
            {
                ranked[n++] = i;
                total += revenue[i];
            }
        }

        // By revenue, highest first, ties by client id: a total order, so the same ranking a stable LINQ sort gave.
        var ids = data.Clients;
        Array.Sort(ranked, (x, y) =>
        {
            var byRevenue = revenue[y].CompareTo(revenue[x]);
            return byRevenue != 0 ? byRevenue : string.CompareOrdinal(ids[x], ids[y]);
        });
        var items = new AbcItem[ranked.Length];
        decimal before = 0m;
        int countA = 0, countB = 0, countC = 0;
        for (var r = 0; r < ranked.Length; r++)
        {
            var i = ranked[r];
            var share = total == 0m ? 0m : before / total;
            char cls;
            if (boundary == AbcBoundary.CrossingClientInUpperClass)
            {
                cls = share < a ? 'A' : share < a + b ? 'B' : 'C';
            }
            else
            {
                var including = total == 0m ? 0m : (before + revenue[i]) / total;
                cls = including <= a ? 'A' : including <= a + b ? 'B' : 'C';
            }

            _ = cls switch { 'A' => countA++, 'B' => countB++, _ => countC++ };
            items[r] = new AbcItem(ids[i], revenue[i], share, cls) { ClientName = data.ClientNames[i] };
            before += revenue[i];
        }

        return new AbcReport(currency, items, countA, countB, countC);
    }

    /// <summary>Won revenue in one currency by region, city, industry, team (the owner's), source or owner.</summary>
    /// <exception cref="CrmValidationException">Another dimension (stage, month, quarter: see <see cref="ReportDesigner"/>).</exception>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static BreakdownReport Breakdown(ReportData data, Dimension dimension, string currency, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (dimension is not (Dimension.Region or Dimension.City or Dimension.Industry or Dimension.Team or Dimension.Source or Dimension.Owner))
        {
            // Stage and the month and quarter dimensions are the report designer's; grouping them here fell back to owners.
            throw new CrmValidationException("dimension", $"a breakdown groups by region, city, industry, team, source or owner; got {dimension}. Use ReportDesigner.Run for it.");
        }

        return ReportOverflowException.Guard("Breakdown", data, () => BreakdownCore(data, dimension, currency, filter));
    }

    private static BreakdownReport BreakdownCore(ReportData data, Dimension dimension, string currency, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var include = Include(data, filter, byClose: true);
        var cur = data.Currencies.ToList().IndexOf(currency);
        var names = dimension switch
        {
            Dimension.Region => data.Regions,
            Dimension.City => data.Cities,
            Dimension.Industry => data.Industries,
            Dimension.Team => data.Teams,
            Dimension.Source => data.Sources,
            _ => data.Owners,
        };
        var sums = new decimal[names.Count + 1];
        var counts = new int[names.Count + 1];
        for (var d = 0; d < data.DealCount; d++)
        {
            if (include is not null && !include[d] || data.DealOutcome[d] != DealOutcome.Won || data.DealCurrency[d] != cur)
            {
                continue;
            }

            var client = data.DealClient[d];
            var key = dimension switch
            {
                Dimension.Region => data.ClientRegion[client],
                Dimension.City => data.ClientCity[client],
                Dimension.Industry => data.ClientIndustry[client],
                Dimension.Team => data.OwnerTeam[data.DealOwner[d]],
                Dimension.Source => data.DealSource[d],
                _ => data.DealOwner[d],
            };
            var slot = key < 0 ? names.Count : key;
            sums[slot] += data.DealAmount[d];
            counts[slot]++;
        }

        var rows = new List<BreakdownRow>();
        for (var i = 0; i <= names.Count; i++)
        {
            if (counts[i] > 0)
            {
                rows.Add(new BreakdownRow(i == names.Count ? "(none)" : names[i], sums[i], counts[i]));
            }
        }

        rows.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        var displayNames = new Dictionary<string, string>(StringComparer.Ordinal);
        if (dimension is Dimension.Owner or Dimension.Team)
        {
            var display = dimension == Dimension.Owner ? data.OwnerNames : data.TeamNames;
            for (var i = 0; i < names.Count; i++)
            {
                if (counts[i] > 0)
                {
                    displayNames[names[i]] = display[i];
                }
            }
        }

        return new BreakdownReport(dimension.ToString(), currency, rows) { Names = displayNames };
    }

    /// <summary>
    /// Plan vs fact: for each target, the owner's won revenue in the target's currency whose close date (in the filter's
    /// zone) falls in the period; with <paramref name="perOwner"/> false, targets of the same period are summed and the
    /// fact counts every won deal closed in the period.
    /// </summary>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<PlanFactRow> PlanFact(ReportData data, bool perOwner, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("PlanFact", data, () => PlanFactCore(data, perOwner, filter));
    }

    private static IReadOnlyList<PlanFactRow> PlanFactCore(ReportData data, bool perOwner, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var zone = filter?.Zone ?? DateTimeZone.Utc;
        var closedDates = new LocalDate[data.DealCount];
        for (var d = 0; d < data.DealCount; d++)
        {
            closedDates[d] = data.DealClosed[d] >= 0 ? Instant.FromUnixTimeTicks(data.DealClosed[d]).InZone(zone).Date : default;
        }

        var groups = new SortedDictionary<(LocalDate Start, LocalDate End, string Owner, int Currency), decimal>();
        foreach (var target in data.Targets)
        {
            var owner = data.Owners[target.Owner];
            if (filter is not null && !filter.IncludesOwner(data, target.Owner))
            {
                continue;
            }

            var key = (target.Start, target.End, perOwner ? owner : "", target.Currency);
            groups[key] = groups.GetValueOrDefault(key) + target.Amount;
        }

        var rows = new List<PlanFactRow>(groups.Count);
        foreach (var ((start, end, owner, currency), plan) in groups)
        {
            decimal fact = 0m;
            var won = 0;
            for (var d = 0; d < data.DealCount; d++)
            {
                if (data.DealOutcome[d] == DealOutcome.Won && data.DealCurrency[d] == currency && data.DealClosed[d] >= 0
                    && closedDates[d] >= start && closedDates[d] <= end
                    && (owner.Length == 0 ? filter is null || filter.IncludesDeal(data, d) : data.Owners[data.DealOwner[d]] == owner))
                {
                    fact += data.DealAmount[d];
                    won++;
                }
            }

            rows.Add(new PlanFactRow(owner.Length == 0 ? null : owner, start, end, Money.Of(plan, data.Currencies[currency]), Money.Of(fact, data.Currencies[currency]),
                plan == 0m ? null : fact / plan) { WonDeals = won, OwnerName = owner.Length == 0 ? null : NameOfOwner(data, owner) });
        }

        return rows;
    }

    /// <summary>The display name of the owner whose id is <paramref name="owner"/> (the id when unknown).</summary>
    internal static string NameOfOwner(ReportData data, string owner)
    {
        var index = IndexOf(data.Owners, owner);
        return index < 0 ? owner : data.OwnerNames[index];
    }

    internal static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Which deals the filter keeps; null when it keeps every deal (no per-deal array, no check in the loops).</summary>
    internal static bool[]? Include(ReportData data, ReportFilter? filter, bool byClose)
    {
        var period = filter?.Period;
        if (filter is null || (period is null && !filter.FiltersDeals))
        {
            return null;
        }

        var include = new bool[data.DealCount];
        var zone = filter.Zone;
        bool[]? ownerIn = null;
        if (filter.FiltersOwners)
        {
            ownerIn = new bool[data.Owners.Count];
            for (var o = 0; o < ownerIn.Length; o++)
            {
                ownerIn[o] = filter.IncludesOwner(data, o);
            }
        }

        var byClient = filter.FiltersClientsOrSources;

        for (var d = 0; d < data.DealCount; d++)
        {
            var ok = (ownerIn is null || ownerIn[data.DealOwner[d]]) && (!byClient || filter.IncludesClientAndSource(data, d));
            if (ok && period is not null)
            {
                var ticks = byClose ? data.DealClosed[d] : data.DealOpened[d];
                ok = ticks >= 0 && period.Contains(Instant.FromUnixTimeTicks(ticks).InZone(zone).Date);
            }

            include[d] = ok;
        }

        return include;
    }

    /// <summary>Count, mean (from the exact sum of ticks), median and p90 of durations in days.</summary>
    internal static DurationStats Stats(double[] days, Int128 ticks)
    {
        if (days.Length == 0)
        {
            return new DurationStats(0, 0, 0, 0);
        }

        // Order statistics by selection, not a full sort: O(n) instead of O(n log n), the same values.
        var n = days.Length;
        var p90Index = Math.Min(n - 1, (int)Math.Ceiling(0.9 * n) - 1);
        var upper = Select(days, 0, n - 1, n / 2);
        double median;
        if (n % 2 == 1)
        {
            median = upper;
        }
        else
        {
            // After selecting n/2, everything before it is ≤ it: the lower middle is the largest of those.
            var lower = days[0];
            for (var i = 1; i < n / 2; i++)
            {
                lower = Math.Max(lower, days[i]);
            }

            median = (lower + upper) / 2;
        }

        var p90 = p90Index == n / 2 ? upper : Select(days, n / 2 + 1, n - 1, p90Index);
        return new DurationStats(n, MeanDays(ticks, n), median, p90);
    }

    /// <summary>
    /// Puts the <paramref name="k"/>-th smallest of <c>values[left..right]</c> at index k, smaller-or-equal ones before it
    /// and greater-or-equal ones after (quickselect, median-of-three pivots; sorts the range if partitions stay unbalanced).
    /// </summary>
    private static double Select(double[] values, int left, int right, int k)
    {
        var budget = 2 * (64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(right - left + 1)));
        while (right > left)
        {
            if (right - left < 16 || budget-- == 0)
            {
                Array.Sort(values, left, right - left + 1);
                return values[k];
            }

            var mid = left + (right - left) / 2;
            if (values[mid] < values[left])
            {
                (values[mid], values[left]) = (values[left], values[mid]);
            }

            if (values[right] < values[left])
            {
                (values[right], values[left]) = (values[left], values[right]);
            }

            if (values[right] < values[mid])
            {
                (values[right], values[mid]) = (values[mid], values[right]);
            }

            var pivot = values[mid];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            // Now values[left..j] ≤ pivot ≤ values[i..right], and values[j+1..i-1] equal the pivot.
            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return values[k];
            }
        }

        return values[k];
    }

    /// <summary>The mean in days of <paramref name="n"/> durations whose ticks sum to <paramref name="ticks"/>.</summary>
    internal static double MeanDays(Int128 ticks, int n) => n == 0 ? 0 : (double)ticks / n / TicksPerDay;
}
