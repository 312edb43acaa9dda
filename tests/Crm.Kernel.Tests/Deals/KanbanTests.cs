using Crm.Abstractions;
using Crm.Kernel.Deals;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Deals;

public sealed class KanbanTests
{
    [Fact]
    public async Task Board_has_a_column_per_stage_with_counts_and_totals_per_currency()
    {
        await using var k = await WithOrganizationAsync();
        await k.DealAsync(Seller1, 100m);
        await k.DealAsync(Seller1, 50m);
        await k.DealAsync(Seller1, 70m, "EUR");
        var moved = await k.DealAsync(Seller1, 10m);
        await k.Session(Seller1).Deals.MoveAsync(moved.Id, Proposal);

        var board = await k.Session(Seller1).Deals.GetBoardAsync(Sales);

        Assert.Equal(["unsorted", "lead", "qualified", "proposal", "negotiation", "won", "lost"], board.Columns.Select(c => c.Stage.Id.Value));
        var lead = board.Columns[1];
        Assert.Equal(3, lead.Count);
        Assert.Equal([Money.Of(70m, "EUR"), Money.Of(150m, "USD")], lead.Totals);
        Assert.Equal(0.1m, lead.Cards[0].WinProbability);
        Assert.Equal(1, board.Columns[3].Count);
    }

    [Fact]
    public async Task Columns_are_paged_newest_first()
    {
        await using var k = await WithOrganizationAsync();
        var ids = new List<DealId>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await k.DealAsync(Seller1, i)).Id);
            k.Clock.Advance(Duration.FromMinutes(1));
        }

        var first = (await k.Session(Seller1).Deals.GetBoardAsync(Sales, new KanbanQuery { PageSize = 2 })).Columns[1];
        var last = (await k.Session(Seller1).Deals.GetBoardAsync(Sales, new KanbanQuery { PageSize = 2, Skip = 4 })).Columns[1];

        Assert.Equal(5, first.Count);
        Assert.True(first.HasMore);
        Assert.Equal([ids[4], ids[3]], first.Cards.Select(c => c.Deal.Id));
        Assert.Equal([ids[0]], last.Cards.Select(c => c.Deal.Id));
        Assert.False(last.HasMore);
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Deals.GetBoardAsync(Sales, new KanbanQuery { PageSize = 0 }));
    }
}
