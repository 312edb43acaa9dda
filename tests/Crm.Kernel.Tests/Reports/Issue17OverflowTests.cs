using System.Numerics;
using System.Text.Json.Nodes;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Reports;
using Crm.Kernel.Storage;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Reports;

/// <summary>
/// Issue 17 §2: sums of money never throw <see cref="OverflowException"/>. Report totals are exact or the report fails
/// alone with <see cref="ReportOverflowException"/>; the board saturates and says which totals did.
/// </summary>
public sealed class Issue17OverflowTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 5, 9, 0);
    private static readonly string[] Owners = ["ola", "kari", "per"];
    private static readonly string[] Clients = ["c1", "c2", "c3", "c4"];

    /// <summary>
    /// Amounts over the whole decimal range (which holds every amount the API accepts and every amount stored before it
    /// bounded them): zero, decimal.MaxValue, and k-bit mantissas for every k in 0..96 with 0 to 2 decimals.
    /// </summary>
    private static readonly Gen<decimal> AmountGen = Gen.Frequency(
        (1, Gen.Constant(0m)),
        (1, Gen.Constant(decimal.MaxValue)),
        (8, from bits in Gen.Choose(0, 96)
            from lo in Gen.Choose(int.MinValue, int.MaxValue)
            from mid in Gen.Choose(int.MinValue, int.MaxValue)
            from hi in Gen.Choose(int.MinValue, int.MaxValue)
            from scale in Gen.Choose(0, 2)
            select Mantissa(lo, mid, hi, bits, (byte)scale)));

    private static readonly Gen<(decimal Amount, int Owner, int Client, bool Euro)> DealGen =
        from amount in AmountGen
        from owner in Gen.Choose(0, Owners.Length - 1)
        from client in Gen.Choose(0, Clients.Length - 1)
        from euro in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select (amount, owner, client, euro);

    private static decimal Mantissa(int lo, int mid, int hi, int bits, byte scale)
    {
        var raw = new BigInteger((uint)lo) | (new BigInteger((uint)mid) << 32) | (new BigInteger((uint)hi) << 64);
        var m = raw & ((BigInteger.One << bits) - 1);
        return new decimal((int)(uint)(m & uint.MaxValue), (int)(uint)((m >> 32) & uint.MaxValue), (int)(uint)((m >> 64) & uint.MaxValue), false, scale);
    }

    /// <summary>The amount in hundredths, exactly (every generated amount has at most two decimals).</summary>
    private static BigInteger Cents(decimal amount)
    {
        var bits = decimal.GetBits(amount);
        var m = new BigInteger((uint)bits[0]) | (new BigInteger((uint)bits[1]) << 32) | (new BigInteger((uint)bits[2]) << 64);
        var scale = (bits[3] >> 16) & 0xFF;
        return m * BigInteger.Pow(10, 2 - scale);
    }

    private static readonly BigInteger MaxCents = Cents(decimal.MaxValue);
    private static readonly BigInteger ExactCents = BigInteger.One << 96; // below this, any sum of 2-decimal amounts is exact

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Issue17_report_totals_equal_the_exact_sums_of_their_parts_for_amounts_across_the_whole_decimal_range() =>
        Prop.ForAll(Arb.From(DealGen.ListOf().Select(l => l.Take(12).ToArray())), deals =>
        {
            var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
            for (var i = 0; i < deals.Length; i++)
            {
                var (amount, owner, client, euro) = deals[i];
                ReportFixtures.Deal(b, $"d{i:D2}", Clients[client], Owners[owner], amount, euro ? "EUR" : "USD", ["lead", "won"]);
            }

            var data = b.Build();
            var usd = deals.Where(d => !d.Euro).ToArray();

            // The reference: exact sums in hundredths, per group, computed apart from the calculators.
            Dictionary<string, BigInteger> Exact(Func<(decimal Amount, int Owner, int Client, bool Euro), string> key, IEnumerable<(decimal Amount, int Owner, int Client, bool Euro)> rows) =>
                rows.GroupBy(key).ToDictionary(g => g.Key, g => g.Aggregate(BigInteger.Zero, (s, d) => s + Cents(d.Amount)));

            Check("WonRevenue", Exact(d => d.Euro ? "EUR" : "USD", deals), () => SalesReports.WonRevenue(data).ByCurrency.ToDictionary(r => r.Revenue.Currency, r => r.Revenue.Amount));
            Check("Funnel", Exact(d => d.Euro ? "EUR" : "USD", deals), () => SalesReports.Funnel(data).Stages.Single(s => s.Stage == "won").Amounts.ToDictionary(m => m.Currency, m => m.Amount));
            Check("Breakdown", Exact(d => Owners[d.Owner], usd), () => SalesReports.Breakdown(data, Dimension.Owner, "USD").Rows.ToDictionary(r => r.Key, r => r.Revenue));
            Check("Abc", Exact(d => Clients[d.Client], usd.Where(d => d.Amount > 0m)), () => SalesReports.Abc(data, "USD").Clients.ToDictionary(c => c.Client, c => c.Revenue));
            Check("ReportDesigner.Run", Exact(d => Owners[d.Owner], usd), () => ReportDesigner.Run(data, new ReportDefinition("sum", [Dimension.Owner], [Measure.Sum], "USD"))
                .ToDictionary(r => r.Keys[0], r => r.Values[0]));
            Check("Board", Exact(d => d.Euro ? "EUR" : "USD", deals), () => Board(data, deals), saturates: true);
            return true;
        });

    private static Dictionary<string, decimal> Board(ReportData data, (decimal Amount, int Owner, int Client, bool Euro)[] deals)
    {
        var (totals, saturated) = KanbanTotals.Of(deals.Select(d => new Deal
        {
            Id = new DealId("d"), Client = new ClientId("c"), Pipeline = new PipelineId("p"), Stage = new StageId("won"), Owner = new UserId("o"),
            Amount = Money.Of(d.Amount, d.Euro ? "EUR" : "USD"), OpenedAt = T0,
        }).ToArray());
        Assert.All(saturated, c => Assert.Equal(decimal.MaxValue, totals.Single(t => t.Currency == c).Amount));
        return totals.Where(t => !saturated.Contains(t.Currency)).ToDictionary(t => t.Currency, t => t.Amount);
    }

    /// <summary>
    /// Each group's figure equals its exact sum while sums of hundredths stay below 2^96 (decimal adds them exactly). A
    /// report whose exact sum is clearly beyond the decimal range fails alone with the typed exception; the board instead
    /// keeps that total out of its exact ones (it lists it as saturated). Near the edge decimal rounds (at most half a
    /// unit per addend): either outcome is allowed there, and a figure given is within that rounding of the exact sum.
    /// </summary>
    private static void Check(string report, Dictionary<string, BigInteger> exact, Func<Dictionary<string, decimal>> run, bool saturates = false)
    {
        var tolerance = new BigInteger(50 * 13);
        var clearlyOverflows = exact.Values.Any(v => v > MaxCents + tolerance);
        Dictionary<string, decimal> actual;
        try
        {
            actual = run();
        }
        catch (ReportOverflowException e)
        {
            Assert.False(saturates, "the board saturates instead of throwing");
            Assert.Equal(report, e.Report);
            Assert.True(exact.Values.Any(v => v >= ExactCents), $"{report} threw though every sum fits exactly: {e.Message}");
            return;
        }

        Assert.True(saturates || !clearlyOverflows, $"{report} returned a figure for a sum beyond the decimal range");
        foreach (var (key, cents) in exact)
        {
            if (!actual.TryGetValue(key, out var figure))
            {
                // A group of zero amounts may be left out (ABC lists clients with revenue); the board leaves out saturated totals.
                Assert.True(cents == 0 || (saturates && cents >= ExactCents), $"{report}: no figure for {key}");
                continue;
            }

            Assert.True(cents <= MaxCents + tolerance, $"{report}: {key} is {figure} though its exact sum {cents} cents is beyond the decimal range");
            var got = Cents(decimal.Round(figure, 2));
            Assert.True(cents < ExactCents ? got == cents && figure == decimal.Round(figure, 2) : BigInteger.Abs(got - cents) <= tolerance,
                $"{report}: {key} is {figure}, the exact sum is {cents} cents");
        }
    }

    [Fact]
    public void Issue17_decimal_MaxValue_deals_make_each_report_fail_alone_with_a_typed_error_naming_the_deal()
    {
        // Before the fix every one of these threw OverflowException.
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        ReportFixtures.Deal(b, "huge", "c1", "ola", decimal.MaxValue, "USD", ["lead", "won"]);
        ReportFixtures.Deal(b, "other", "c2", "kari", 1m, "USD", ["lead", "won"]);
        ReportFixtures.Deal(b, "open", "c2", "kari", decimal.MaxValue, "USD", ["lead"]);
        b.AddTarget(new UserId("ola"), new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31), Money.Of(0.01m, "USD"));
        var data = b.Build();
        var q1 = new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31));
        var q4 = new DateInterval(new LocalDate(2025, 10, 1), new LocalDate(2025, 12, 31));

        var failing = new (string Report, Action Run)[]
        {
            ("Funnel", () => SalesReports.Funnel(data)),
            ("WonRevenue", () => SalesReports.WonRevenue(data)),
            ("Abc", () => SalesReports.Abc(data, "USD")),
            ("Breakdown", () => SalesReports.Breakdown(data, Dimension.Region, "USD")),
            ("PlanFact", () => SalesReports.PlanFact(data, perOwner: false)),
            ("Forecasts.Velocity", () => Forecasts.Velocity(data, "USD")),
            ("Breakdown", () => Forecasts.Growth(data, Dimension.Region, "USD", q1, q4)),
            ("Funnel", () => ManagerReports.Funnels(data, new ReportFilter { Owners = new HashSet<string> { "kari", "ola" } })),
            ("ReportDesigner.Run", () => ReportDesigner.Run(data, new ReportDefinition("all", [Dimension.Region], [Measure.Sum, Measure.Average, Measure.Median], "USD"))),
            ("KpiMonitor.Run", () => KpiMonitor.Run(data, [new KpiDefinition("revenue", KpiMeasure.WonRevenue, 1m, "USD")],
                [new KpiPlan(new UserId("ola"), "revenue", q1, 0.01m)])),
        };
        foreach (var (report, run) in failing)
        {
            var e = Assert.Throws<ReportOverflowException>(run);
            Assert.Equal(report, e.Report);
            Assert.Equal("huge", e.Deal);
            Assert.Contains("deal 'huge'", e.Message, StringComparison.Ordinal);
        }

        // Reports that sum no money still work on the same snapshot.
        Assert.Equal(2, SalesReports.Outcomes(data).Won);
        Assert.Equal(2, SalesReports.WonCycle(data).Count);
        Assert.Equal(2, ManagerReports.Cycles(data).ByOwner.Count);
    }

    [Fact]
    public void Issue17_designer_median_of_two_decimal_MaxValue_deals_is_decimal_MaxValue_while_their_sum_is_refused()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        ReportFixtures.Deal(b, "a", "c1", "ola", decimal.MaxValue, "USD", ["lead", "won"]);
        ReportFixtures.Deal(b, "b", "c1", "ola", decimal.MaxValue, "USD", ["lead", "won"]);
        var data = b.Build();

        var row = ReportDesigner.Run(data, new ReportDefinition("median", [Dimension.Owner], [Measure.Count, Measure.Median], "USD")).Single();

        Assert.Equal([2m, decimal.MaxValue], row.Values);
        Assert.Throws<ReportOverflowException>(() => ReportDesigner.Run(data, new ReportDefinition("sum", [Dimension.Owner], [Measure.Sum], "USD")));
    }

    [Fact]
    public async Task Issue17_board_with_decimal_MaxValue_deals_stored_before_the_bound_saturates_and_says_so()
    {
        // Before the fix the board threw OverflowException for every viewer of the column.
        await using var k = await WithOrganizationAsync();
        var huge = await k.DealAsync(Seller1, 1m);
        var twin = await k.DealAsync(Seller1, 2m);
        await k.DealAsync(Seller1, 3m, "EUR");
        await StoreAmountAsync(k, huge.Id, decimal.MaxValue);
        await StoreAmountAsync(k, twin.Id, decimal.MaxValue);

        foreach (var viewer in new[] { Seller1, Head1, Admin })
        {
            var lead = (await k.Session(viewer).Deals.GetBoardAsync(Sales)).Columns.Single(c => c.Stage.Id == Lead);
            Assert.Equal(3, lead.Count);
            Assert.Equal([Money.Of(3m, "EUR"), Money.Of(decimal.MaxValue, "USD")], lead.Totals);
            Assert.Equal(["USD"], lead.SaturatedTotals);
        }

        var fine = (await k.Session(Seller1).Deals.GetBoardAsync(Sales)).Columns.Single(c => c.Stage.Id == Won);
        Assert.Empty(fine.SaturatedTotals);

        var data = await k.Session(Head1).Reports.GetSnapshotAsync();
        var e = Assert.Throws<ReportOverflowException>(() => SalesReports.Funnel(data));
        Assert.Contains(e.Deal, new[] { huge.Id.Value, twin.Id.Value });
        Assert.Equal(3, SalesReports.Outcomes(data).Open);
    }

    /// <summary>Writes <paramref name="amount"/> into the stored deal as data from before the API's bound would hold it.</summary>
    private static async Task StoreAmountAsync(TestKernel k, DealId deal, decimal amount)
    {
        var document = await k.Kernel.Store.LoadAsync(k.Tenant, "deal", deal.Value) ?? throw new InvalidOperationException("no deal document");
        var json = JsonNode.Parse(document.Json)!.AsObject();
        json["amount"]!["amount"] = amount;
        await k.Kernel.Store.CommitAsync(new StoreCommit(k.Tenant, Guid.NewGuid(), k.Clock.GetCurrentInstant())
        {
            Documents = [new DocumentWrite("deal", deal.Value, document.Version, json.ToJsonString(), Kinds.Deal.Indexes(Kinds.Deal.Read(document)))],
        });
    }
}
