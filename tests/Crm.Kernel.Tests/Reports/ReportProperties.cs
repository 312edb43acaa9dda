using Crm.Abstractions;
using Crm.Kernel.Reports;
using FsCheck.Xunit;
using NodaTime;

namespace Crm.Kernel.Tests.Reports;

/// <summary>Invariants of the calculators over random snapshots.</summary>
public sealed class ReportProperties
{
    [Property(MaxTest = 200)]
    public bool Funnel_counts_never_increase_along_the_path_and_conversions_stay_in_0_1(byte[] script)
    {
        var funnel = SalesReports.Funnel(ReportFixtures.Random(script));
        for (var i = 0; i + 1 < funnel.Stages.Count; i++)
        {
            if (funnel.Stages[i + 1].Deals > funnel.Stages[i].Deals)
            {
                return false;
            }
        }

        return funnel.Stages.All(s => s.ConversionToNext is null || s.ConversionToNext is >= 0m and <= 1m);
    }

    [Property(MaxTest = 200)]
    public bool Abc_shares_add_up_to_the_whole_and_classes_partition_the_clients(byte[] script)
    {
        var abc = SalesReports.Abc(ReportFixtures.Random(script), "USD");
        var total = abc.Clients.Sum(c => c.Revenue);
        var wonUsd = SalesReports.WonRevenue(ReportFixtures.Random(script)).ByCurrency.Where(r => r.Revenue.Currency == "USD").Sum(r => r.Revenue.Amount);
        return total == wonUsd && abc.A + abc.B + abc.C == abc.Clients.Count
            && abc.Clients.Select(c => c.ShareBefore).Zip(abc.Clients.Skip(1).Select(c => c.ShareBefore)).All(p => p.First <= p.Second);
    }

    [Property(MaxTest = 200)]
    public bool Plan_fact_completion_is_fact_over_plan_and_totals_equal_their_parts(byte[] script)
    {
        var data = ReportFixtures.Random(script);
        var rows = SalesReports.PlanFact(data, perOwner: true);
        var byOwner = SalesReports.Breakdown(data, Dimension.Owner, "USD").Rows.Sum(r => r.Revenue);
        var total = SalesReports.WonRevenue(data).ByCurrency.Where(r => r.Revenue.Currency == "USD").Sum(r => r.Revenue.Amount);
        return rows.All(r => r.Completion == r.Fact.Amount / r.Plan.Amount) && byOwner == total;
    }

    [Xunit.Fact]
    public void Conversion_counts_deals_that_reached_both_stages_even_when_some_skip_the_first()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        ReportFixtures.Deal(b, "a", "c", "ola", 1m, "USD", ["lead", "offer", "won"]);
        ReportFixtures.Deal(b, "b", "c", "ola", 1m, "USD", ["offer", "won"]);     // entered without being a lead
        ReportFixtures.Deal(b, "c", "c", "ola", 1m, "USD", ["offer", "lost"]);

        var funnel = SalesReports.Funnel(b.Build());

        Xunit.Assert.Equal([("lead", 1, 1m), ("offer", 3, 2m / 3m)], funnel.Stages.Take(2).Select(s => (s.Stage, s.Deals, s.ConversionToNext!.Value)));
        Xunit.Assert.Equal(1, funnel.Lost);
    }

    [Xunit.Fact]
    public void A_deal_won_at_23_30_local_on_31_March_counts_in_Q1_there()
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        var wonAt = new LocalDateTime(2026, 3, 31, 23, 30).InZoneLeniently(DateTimeZoneProviders.Tzdb["Europe/Oslo"]).ToInstant(); // 21:30 UTC
        b.AddDeal(new DealId("d"), new ClientId("c"), new UserId("ola"), Money.Of(100m, "USD"), null, DealOutcome.Won, wonAt - Duration.FromDays(3), wonAt,
            [(new StageId("lead"), wonAt - Duration.FromDays(3), wonAt), (new StageId("won"), wonAt, null)]);
        b.AddTarget(new UserId("ola"), new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31), Money.Of(100m, "USD"));
        b.AddTarget(new UserId("ola"), new LocalDate(2026, 4, 1), new LocalDate(2026, 6, 30), Money.Of(100m, "USD"));
        var data = b.Build();
        var tokyo = DateTimeZoneProviders.Tzdb["Asia/Tokyo"];                 // 06:30 on 1 April there

        var oslo = SalesReports.PlanFact(data, perOwner: true, new ReportFilter { Zone = DateTimeZoneProviders.Tzdb["Europe/Oslo"] });
        var japan = SalesReports.PlanFact(data, perOwner: true, new ReportFilter { Zone = tokyo });

        Xunit.Assert.Equal([100m, 0m], oslo.Select(r => r.Fact.Amount));
        Xunit.Assert.Equal([0m, 100m], japan.Select(r => r.Fact.Amount));
        var q1 = new ReportFilter { Zone = DateTimeZoneProviders.Tzdb["Europe/Oslo"], Period = new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31)) };
        Xunit.Assert.Equal(100m, SalesReports.WonRevenue(data, q1).ByCurrency.Single().Revenue.Amount);
    }
}
