using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Tasks;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Organization;

public sealed class DeactivationTests
{
    [Fact]
    public async Task Leaving_user_hands_clients_open_deals_and_open_tasks_to_the_successor_in_one_command()
    {
        await using var k = await WithOrganizationAsync();
        var open = await k.DealAsync(Seller2);
        var won = await k.DealAsync(Seller2);
        await k.Session(Seller2).Deals.MoveAsync(won.Id, Won);
        var task = await k.Session(Seller2).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromDays(1)));
        var before = await k.JournalHeadAsync();

        var user = await k.Session(Admin).Organization.DeactivateUserAsync(Seller2, Seller1);

        Assert.False(user.IsActive);
        Assert.Equal(Seller1, (await k.Session(Seller1).Deals.GetAsync(open.Id)).Owner);
        Assert.Equal(Seller2, (await k.Session(Admin).Deals.GetAsync(won.Id)).Owner); // closed deals keep their history
        Assert.All(await k.Session(Admin).Clients.ListAsync(), c => Assert.NotEqual(Seller2, c.Owner));
        Assert.Equal(Seller1, Assert.Single(await k.Session(Seller1).Tasks.ListAsync(), t => t.Id == task.Id).Assignee);
        var entries = await k.Session(Admin).Journal.ListAsync(before);
        Assert.Single(entries.Select(e => e.RecordedAt).Distinct());
        Assert.IsType<UserDeactivated>(entries[^1].Event);
        Assert.All(entries, e => Assert.Equal(CauseKind.System, e.Cause.Kind));
    }

    [Fact]
    public async Task A_head_cannot_leave_before_the_team_has_a_new_head()
    {
        await using var k = await WithOrganizationAsync();
        await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Admin).Organization.DeactivateUserAsync(Head1, Head2));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Organization.DeactivateUserAsync(Seller1, Seller1));
    }
}
