using Crm.Abstractions;
using Crm.Abstractions.Events;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Journal;

public sealed class JournalTests
{
    [Fact]
    public async Task Journal_is_ordered_with_who_when_and_why()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted"));

        var entries = await k.Session(Admin).Journal.ListAsync();

        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Position));
        Assert.Equal(entries.Count, entries.Select(e => e.EventId).Distinct().Count());
        var move = entries.Single(e => e.Event is DealStageChanged);
        Assert.Equal(Seller1, move.Actor);
        Assert.Equal(new Cause(CauseKind.Goal, "contacted", "Contacted"), move.Cause);
        Assert.Equal(k.Clock.GetCurrentInstant(), move.RecordedAt);
        var page = await k.Session(Admin).Journal.ListAsync(afterPosition: 3, maxCount: 2);
        Assert.Equal([4L, 5L], page.Select(e => e.Position));
    }

    [Fact]
    public async Task Replaying_the_journal_reproduces_every_record()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted"));
        await k.Session(Admin).Organization.DeactivateUserAsync(Seller2, Seller1);

        var verification = await k.Kernel.VerifyJournalAsync(k.Tenant);

        Assert.True(verification.IsConsistent, string.Join("\n", verification.Differences));
        Assert.True(verification.RecordsCompared > 10);
    }
}
