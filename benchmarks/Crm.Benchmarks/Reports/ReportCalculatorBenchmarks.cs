using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Crm.Kernel.Reports;
using DuckDB.NET.Data;

namespace Crm.Benchmarks.Reports;

/// <summary>
/// The kernel's report calculators (funnel, won cycle, velocity, ABC) over an in-memory snapshot of 1,000,000 deals,
/// side by side with the same aggregations in DuckDB (in-memory, one thread, data appended in the setup) and with a
/// plain loop over the snapshot's arrays (the practical limit, baseline). <see cref="Transitions"/> at 2.5M and 5M
/// shows whether time and memory grow with the stage history. The setup checks that all three agree.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class ReportCalculatorBenchmarks
{
    private const int Deals = 1_000_000;
    private const double TicksPerDay = NodaTime.NodaConstants.TicksPerDay;
    private ReportData _data = null!;
    private DuckDBConnection? _duck;
    private int _usd;

    /// <summary>Stage stays in the snapshot.</summary>
    [Params(2_500_000, 5_000_000)]
    public int Transitions { get; set; }

    [GlobalSetup(Targets = [nameof(FunnelLoop), nameof(FunnelKernel), nameof(CycleLoop), nameof(CycleKernel), nameof(VelocityLoop), nameof(VelocityKernel), nameof(AbcLoop), nameof(AbcKernel)])]
    public void Setup()
    {
        _data = new ReportDataGenerator(Deals, Transitions).Snapshot();
        _usd = _data.Currencies.ToList().IndexOf("USD");
        Check(Same(FunnelLoop(), FunnelKernel()), "funnel: loop vs kernel");
        Check(Close(CycleLoop(), CycleKernel(), 1e-9), $"cycle: loop {CycleLoop()} vs kernel {CycleKernel()}");
        Check(Close(VelocityLoop(), VelocityKernel()), $"velocity: loop {VelocityLoop()} vs kernel {VelocityKernel()}");
        Check(AbcLoop() == AbcKernel(), "ABC: loop vs kernel");
    }

    [GlobalSetup(Targets = [nameof(FunnelDuckDb), nameof(CycleDuckDb), nameof(VelocityDuckDb), nameof(AbcDuckDb)])]
    public void SetupDuckDb()
    {
        Setup();
        _duck = new DuckDBConnection("DataSource=:memory:");
        _duck.Open();
        Execute("SET threads=1");
        Execute("CREATE TABLE deals(id INTEGER, client INTEGER, currency INTEGER, amount DECIMAL(18,2), opened BIGINT, closed BIGINT, outcome TINYINT)");
        Execute("CREATE TABLE stays(deal INTEGER, stage UTINYINT, entered BIGINT, left_at BIGINT)");
        Execute("CREATE TABLE stages(stage INTEGER, next INTEGER)");
        using (var appender = _duck.CreateAppender("deals"))
        {
            for (var d = 0; d < _data.DealCount; d++)
            {
                appender.CreateRow().AppendValue(d).AppendValue(_data.DealClient[d]).AppendValue(_data.DealCurrency[d]).AppendValue(_data.DealAmount[d])
                    .AppendValue(_data.DealOpened[d]).AppendValue(_data.DealClosed[d]).AppendValue((sbyte)_data.DealOutcome[d]).EndRow();
            }
        }

        using (var appender = _duck.CreateAppender("stays"))
        {
            for (var s = 0; s < _data.StayCount; s++)
            {
                appender.CreateRow().AppendValue(_data.StayDeal[s]).AppendValue(_data.StayStage[s]).AppendValue(_data.StayEntered[s]).AppendValue(_data.StayLeft[s]).EndRow();
            }
        }

        var path = PathStages();
        using (var appender = _duck.CreateAppender("stages"))
        {
            for (var i = 0; i < _data.Stages.Count; i++)
            {
                var p = Array.IndexOf(path, i);
                appender.CreateRow().AppendValue(i).AppendValue(p >= 0 && p + 1 < path.Length ? path[p + 1] : -1).EndRow();
            }
        }

        Check(Same(FunnelDuckDb(), FunnelKernel()), "funnel: DuckDB vs kernel");
        // DuckDB's quantile_disc picks its own element for p90 (within a fraction of a day here).
        Check(Close(CycleDuckDb(), CycleKernel(), 0.5), $"cycle: DuckDB {CycleDuckDb()} vs kernel {CycleKernel()}");
        Check(Close(VelocityDuckDb(), VelocityKernel()), $"velocity: DuckDB {VelocityDuckDb()} vs kernel {VelocityKernel()}");
        Check(AbcDuckDb() == AbcKernel(), "ABC: DuckDB vs kernel");
    }

    [GlobalCleanup]
    public void Cleanup() => _duck?.Dispose();

    // ---- Funnel: deals and amounts that entered each stage, conversion to the next stage of the path ----

    [Benchmark(Baseline = true), BenchmarkCategory("Funnel")]
    public FunnelSummary FunnelLoop()
    {
        var stages = _data.Stages.Count;
        var currencies = _data.Currencies.Count;
        var path = PathStages();
        var entered = new int[stages];
        var amounts = new decimal[stages * currencies];
        var both = new int[stages];
        var stayDeal = _data.StayDeal;
        var stayStage = _data.StayStage;
        var next = new int[stages];
        Array.Fill(next, -1);
        for (var p = 0; p + 1 < path.Length; p++)
        {
            next[path[p]] = path[p + 1];
        }

        var previous = -1;
        var mask = 0;
        for (var s = 0; s <= stayDeal.Length; s++)
        {
            var deal = s < stayDeal.Length ? stayDeal[s] : -1;
            if (deal != previous)
            {
                if (previous >= 0)
                {
                    var currency = _data.DealCurrency[previous];
                    var amount = _data.DealAmount[previous];
                    for (var m = mask; m != 0; m &= m - 1)
                    {
                        var stage = System.Numerics.BitOperations.TrailingZeroCount(m);
                        entered[stage]++;
                        amounts[stage * currencies + currency] += amount;
                        if (next[stage] >= 0 && (mask & (1 << next[stage])) != 0)
                        {
                            both[stage]++;
                        }
                    }
                }

                previous = deal;
                mask = 0;
            }

            if (deal >= 0)
            {
                mask |= 1 << stayStage[s];
            }
        }

        return Summary(entered, amounts, both);
    }

    [Benchmark, BenchmarkCategory("Funnel")]
    public FunnelReport FunnelKernel() => SalesReports.Funnel(_data);

    [Benchmark, BenchmarkCategory("Funnel")]
    public FunnelSummary FunnelDuckDb()
    {
        var stages = _data.Stages.Count;
        var currencies = _data.Currencies.Count;
        var entered = new int[stages];
        var amounts = new decimal[stages * currencies];
        var both = new int[stages];
        using var command = _duck!.CreateCommand();
        command.CommandText = """
            WITH m AS (SELECT deal, bit_or((1::INTEGER) << stage) AS mask FROM stays GROUP BY deal)
            SELECT s.stage, d.currency, count(*) AS entered, sum(d.amount) AS amount,
                   count(*) FILTER (WHERE s.next >= 0 AND (m.mask >> s.next) & 1 = 1) AS both_stages
            FROM m JOIN deals d ON d.id = m.deal JOIN stages s ON (m.mask >> s.stage) & 1 = 1
            GROUP BY s.stage, d.currency
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var stage = reader.GetInt32(0);
            entered[stage] += (int)reader.GetInt64(2);
            amounts[stage * currencies + reader.GetInt32(1)] += reader.GetDecimal(3);
            both[stage] += (int)reader.GetInt64(4);
        }

        return Summary(entered, amounts, both);
    }

    // ---- Won cycle: days opened → won over won deals: count, mean, median, p90 ----

    [Benchmark(Baseline = true), BenchmarkCategory("WonCycle")]
    public DurationStats CycleLoop()
    {
        var outcome = _data.DealOutcome;
        var closed = _data.DealClosed;
        var opened = _data.DealOpened;
        var n = 0;
        for (var d = 0; d < outcome.Length; d++)
        {
            if (outcome[d] == DealOutcome.Won && closed[d] >= 0)
            {
                n++;
            }
        }

        var days = new double[n];
        n = 0;
        for (var d = 0; d < outcome.Length; d++)
        {
            if (outcome[d] == DealOutcome.Won && closed[d] >= 0)
            {
                days[n++] = (closed[d] - opened[d]) / TicksPerDay;
            }
        }

        var span = days.AsSpan();
        span.Sort();
        double sum = 0;
        foreach (var x in span)
        {
            sum += x;
        }

        var median = n % 2 == 1 ? span[n / 2] : (span[n / 2 - 1] + span[n / 2]) / 2;
        return new DurationStats(n, sum / n, median, span[Math.Min(n - 1, (int)Math.Ceiling(0.9 * n) - 1)]);
    }

    [Benchmark, BenchmarkCategory("WonCycle")]
    public DurationStats CycleKernel() => SalesReports.WonCycle(_data);

    [Benchmark, BenchmarkCategory("WonCycle")]
    public DurationStats CycleDuckDb()
    {
        using var command = _duck!.CreateCommand();
        command.CommandText = """
            SELECT count(*), avg(x), median(x), quantile_disc(x, 0.9)
            FROM (SELECT (closed - opened) / 864000000000.0 AS x FROM deals WHERE outcome = 1 AND closed >= 0)
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return new DurationStats((int)reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3));
    }

    // ---- Velocity: open deals × win rate × average won USD deal ÷ average cycle days ----

    [Benchmark(Baseline = true), BenchmarkCategory("Velocity")]
    public VelocityReport VelocityLoop()
    {
        var outcome = _data.DealOutcome;
        var currency = _data.DealCurrency;
        var amount = _data.DealAmount;
        var closed = _data.DealClosed;
        var opened = _data.DealOpened;
        int won = 0, lost = 0, open = 0, wonUsd = 0, cycles = 0;
        decimal revenue = 0m;
        Int128 cycleTicks = 0;
        for (var d = 0; d < outcome.Length; d++)
        {
            switch (outcome[d])
            {
                case DealOutcome.Won:
                    won++;
                    if (currency[d] == _usd)
                    {
                        wonUsd++;
                        revenue += amount[d];
                    }

                    if (closed[d] >= 0)
                    {
                        cycles++;
                        cycleTicks += closed[d] - opened[d];
                    }

                    break;
                case DealOutcome.Lost: lost++; break;
                default: open++; break;
            }
        }

        return Velocity(open, won, lost, revenue, wonUsd, cycles == 0 ? 0 : (double)cycleTicks / cycles / TicksPerDay);
    }

    [Benchmark, BenchmarkCategory("Velocity")]
    public VelocityReport VelocityKernel() => Forecasts.Velocity(_data, "USD");

    [Benchmark, BenchmarkCategory("Velocity")]
    public VelocityReport VelocityDuckDb()
    {
        using var command = _duck!.CreateCommand();
        command.CommandText = $"""
            SELECT count(*) FILTER (WHERE outcome = 0), count(*) FILTER (WHERE outcome = 1), count(*) FILTER (WHERE outcome = 2),
                   coalesce(sum(amount) FILTER (WHERE outcome = 1 AND currency = {_usd}), 0), count(*) FILTER (WHERE outcome = 1 AND currency = {_usd}),
                   coalesce(avg((closed - opened) / 864000000000.0) FILTER (WHERE outcome = 1 AND closed >= 0), 0)
            FROM deals
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return Velocity((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), reader.GetDecimal(3), (int)reader.GetInt64(4), reader.GetDouble(5));
    }

    // ---- ABC: clients by won USD revenue, ranked, classed by the cumulative share before them (80/15/5) ----

    [Benchmark(Baseline = true), BenchmarkCategory("Abc")]
    public AbcSummary AbcLoop()
    {
        var revenue = new decimal[_data.Clients.Count];
        var outcome = _data.DealOutcome;
        var currency = _data.DealCurrency;
        var client = _data.DealClient;
        var amount = _data.DealAmount;
        for (var d = 0; d < outcome.Length; d++)
        {
            if (outcome[d] == DealOutcome.Won && currency[d] == _usd)
            {
                revenue[client[d]] += amount[d];
            }
        }

        var ranked = new int[revenue.Length];
        var n = 0;
        for (var c = 0; c < revenue.Length; c++)
        {
            if (revenue[c] > 0m)
            {
                ranked[n++] = c;
            }
        }

        // Client indexes are in id order here (the generator adds c000000, c000001, …), so the index breaks ties.
        var span = ranked.AsSpan(0, n);
        span.Sort((x, y) => revenue[x] != revenue[y] ? revenue[y].CompareTo(revenue[x]) : x.CompareTo(y));
        decimal total = 0m;
        foreach (var c in span)
        {
            total += revenue[c];
        }

        return Classify(span, revenue, total);
    }

    [Benchmark, BenchmarkCategory("Abc")]
    public AbcSummary AbcKernel()
    {
        var report = SalesReports.Abc(_data, "USD");
        var first = report.Clients.Count > 0 ? report.Clients[0] : null;
        var last = report.Clients.Count > 0 ? report.Clients[^1] : null;
        return new AbcSummary(report.Clients.Count, report.A, report.B, report.C, first?.Client, last?.Client, report.Clients.Sum(c => c.Revenue));
    }

    [Benchmark, BenchmarkCategory("Abc")]
    public AbcSummary AbcDuckDb()
    {
        using var command = _duck!.CreateCommand();
        command.CommandText = $"""
            WITH r AS (SELECT client, sum(amount) AS revenue FROM deals WHERE outcome = 1 AND currency = {_usd} GROUP BY client HAVING sum(amount) > 0)
            SELECT client, revenue, coalesce(sum(revenue) OVER (ORDER BY revenue DESC, client ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM r ORDER BY revenue DESC, client
            """;
        using var reader = command.ExecuteReader();
        var rows = new List<(int Client, decimal Revenue, decimal Before)>(_data.Clients.Count);
        decimal total = 0m;
        while (reader.Read())
        {
            var revenue = reader.GetDecimal(1);
            rows.Add((reader.GetInt32(0), revenue, reader.GetDecimal(2)));
            total += revenue;
        }

        int a = 0, b = 0, c = 0;
        foreach (var row in rows)
        {
            var share = total == 0m ? 0m : row.Before / total;
            _ = share < 0.80m ? a++ : share < 0.95m ? b++ : c++;
        }

        return new AbcSummary(rows.Count, a, b, c, rows.Count > 0 ? _data.Clients[rows[0].Client] : null, rows.Count > 0 ? _data.Clients[rows[^1].Client] : null, total);
    }

    /// <summary>What the three funnels are compared on.</summary>
    public sealed record FunnelSummary(string Text);

    /// <summary>What the three ABC analyses are compared on.</summary>
    public sealed record AbcSummary(int Clients, int A, int B, int C, string? First, string? Last, decimal Total);

    private AbcSummary Classify(ReadOnlySpan<int> ranked, decimal[] revenue, decimal total)
    {
        decimal before = 0m;
        int a = 0, b = 0, c = 0;
        foreach (var i in ranked)
        {
            var share = total == 0m ? 0m : before / total;
            _ = share < 0.80m ? a++ : share < 0.95m ? b++ : c++;
            before += revenue[i];
        }

        return new AbcSummary(ranked.Length, a, b, c, ranked.Length > 0 ? _data.Clients[ranked[0]] : null, ranked.Length > 0 ? _data.Clients[ranked[^1]] : null, total);
    }

    private static VelocityReport Velocity(int open, int won, int lost, decimal revenue, int wonDeals, double cycleDays)
    {
        var winRate = won + lost == 0 ? 0m : (decimal)won / (won + lost);
        var average = wonDeals == 0 ? 0m : revenue / wonDeals;
        var days = (decimal)cycleDays;
        return new VelocityReport("USD", open, winRate, average, days, days == 0m ? 0m : open * winRate * average / days);
    }

    private int[] PathStages()
    {
        var path = new List<int>();
        for (var i = 0; i < _data.Stages.Count; i++)
        {
            if (_data.StageKinds[i] != Crm.Abstractions.StageKind.Lost)
            {
                path.Add(i);
            }
        }

        return path.ToArray();
    }

    private FunnelSummary Summary(int[] entered, decimal[] amounts, int[] both)
    {
        var text = new System.Text.StringBuilder();
        var currencies = _data.Currencies.Count;
        foreach (var stage in PathStages())
        {
            text.Append(_data.Stages[stage]).Append(' ').Append(entered[stage]).Append(' ').Append(both[stage]);
            for (var c = 0; c < currencies; c++)
            {
                text.Append(' ').Append(_data.Currencies[c]).Append('=').Append(amounts[stage * currencies + c].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return new FunnelSummary(text.ToString());
    }

    private bool Same(FunnelSummary summary, FunnelReport report)
    {
        var currencies = _data.Currencies.Count;
        var path = PathStages();
        var entered = new int[_data.Stages.Count];
        var amounts = new decimal[_data.Stages.Count * currencies];
        var both = new int[_data.Stages.Count];
        for (var p = 0; p < path.Length; p++)
        {
            var stage = report.Stages[p];
            entered[path[p]] = stage.Deals;
            both[path[p]] = stage.ConversionToNext is null ? 0 : (int)Math.Round(stage.ConversionToNext.Value * stage.Deals);
            foreach (var money in stage.Amounts)
            {
                amounts[path[p] * currencies + _data.Currencies.ToList().IndexOf(money.Currency)] = money.Amount;
            }
        }

        var expected = Summary(entered, amounts, both);
        if (expected != summary)
        {
            Console.WriteLine($"expected (kernel):\n{expected.Text}\nactual:\n{summary.Text}");
        }

        return expected == summary;
    }

    private static bool Close(DurationStats x, DurationStats y, double p90Tolerance) =>
        x.Count == y.Count && Math.Abs(x.MeanDays - y.MeanDays) < 1e-6 && Math.Abs(x.MedianDays - y.MedianDays) < 1e-9 && Math.Abs(x.P90Days - y.P90Days) <= p90Tolerance;

    private static bool Close(VelocityReport x, VelocityReport y) =>
        x.OpenDeals == y.OpenDeals && x.WinRate == y.WinRate && x.AverageWonAmount == y.AverageWonAmount
        && Math.Abs(x.AverageCycleDays - y.AverageCycleDays) < 0.000001m && Math.Abs(x.PerDay - y.PerDay) <= Math.Abs(y.PerDay) * 0.000000001m;

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"The benchmark's implementations disagree: {what}.");
        }

        Console.WriteLine($"// check passed: {what}");
    }

    private void Execute(string sql)
    {
        using var command = _duck!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
