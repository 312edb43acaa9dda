using Crm.Abstractions;
using Crm.Kernel.Reports;
using FsCheck.Xunit;
using NodaTime;

namespace Crm.Kernel.Tests.Reports;

/// <summary>The won cycle's median and p90 come from selection, not a sort: they must equal the sorted definition.</summary>
public sealed class WonCycleStatisticsTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 5, 9, 0);

    [Property(MaxTest = 300)]
    public bool Median_and_p90_equal_the_sorted_definition(int[] minutes)
    {
        var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
        var days = new List<double>();
        for (var i = 0; i < minutes.Length; i++)
        {
            // Few distinct values for some inputs (ties), many for others.
            var span = Duration.FromMinutes(Math.Abs((long)minutes[i]) % (i % 3 == 0 ? 5 : 100_000));
            b.AddDeal(new DealId($"d{i:D4}"), new ClientId("c"), new UserId("ola"), Money.Of(1m, "USD"), null, DealOutcome.Won, T0, T0 + span,
                [(new StageId("lead"), T0, T0 + span), (new StageId("won"), T0 + span, null)]);
            days.Add(span.BclCompatibleTicks / (double)NodaConstants.TicksPerDay);
        }

        var stats = SalesReports.WonCycle(b.Build());
        if (days.Count == 0)
        {
            return stats.Count == 0;
        }

        days.Sort();
        var n = days.Count;
        var median = n % 2 == 1 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2;
        var p90 = days[Math.Min(n - 1, (int)Math.Ceiling(0.9 * n) - 1)];
        return stats.Count == n && stats.MedianDays == median && stats.P90Days == p90 && Math.Abs(stats.MeanDays - days.Average()) < 1e-9;
    }
}
