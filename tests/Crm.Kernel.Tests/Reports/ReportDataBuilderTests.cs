using Crm.Abstractions;
using Crm.Kernel.Reports;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

public sealed class ReportDataBuilderTests
{
    [Fact]
    public void Deals_added_out_of_id_order_are_sorted_with_their_stays()
    {
        ReportData Build(string[] order)
        {
            var b = new ReportDataBuilder().AddStages(ReportFixtures.Pipeline);
            foreach (var id in order)
            {
                var n = id[^1] - '0';
                string[] path = n switch { 1 => ["lead"], 2 => ["lead", "offer", "won"], 3 => ["lead", "lost"], _ => ["lead", "offer"] };
                ReportFixtures.Deal(b, id, "c" + n, n % 2 == 0 ? "ola" : "kari", 100m * n, "USD", path, n);
            }

            b.SortDealsById();
            return b.Build();
        }

        var sorted = Build(["d1", "d2", "d3", "d4"]);
        var shuffled = Build(["d3", "d1", "d4", "d2"]);

        Assert.Equal(sorted.DealIds, shuffled.DealIds);
        Assert.Equal(sorted.DealAmount, shuffled.DealAmount);
        Assert.Equal(sorted.DealOutcome, shuffled.DealOutcome);
        Assert.Equal(sorted.DealStage, shuffled.DealStage);
        Assert.Equal(sorted.DealOpened, shuffled.DealOpened);
        Assert.Equal(sorted.DealClosed, shuffled.DealClosed);
        Assert.Equal(sorted.StayDeal, shuffled.StayDeal);
        Assert.Equal(sorted.StayStage, shuffled.StayStage);
        Assert.Equal(sorted.StayEntered, shuffled.StayEntered);
        Assert.Equal(sorted.StayLeft, shuffled.StayLeft);
        Assert.Equal(["kari", "ola", "kari", "ola"], shuffled.DealOwner.Select(o => shuffled.Owners[o]));
        Assert.Equal(["c1", "c2", "c3", "c4"], shuffled.DealClient.Select(c => shuffled.Clients[c]));
        Assert.Equal(SalesReports.Funnel(sorted).Stages.Select(s => s.Deals), SalesReports.Funnel(shuffled).Stages.Select(s => s.Deals));
    }
}
