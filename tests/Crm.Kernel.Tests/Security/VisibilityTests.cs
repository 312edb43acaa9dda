using Crm.Abstractions;
using Crm.Kernel.Deals;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Security;

public sealed class VisibilityTests
{
    [Fact]
    public async Task A_sellers_report_snapshot_holds_only_their_own_client_cards_and_those_of_their_deals()
    {
        await using var k = await WithOrganizationAsync();
        var mine = await k.DealAsync(Seller1);
        var theirs = await k.DealAsync(Seller2);
        var handedOver = await k.DealAsync(Seller2);
        await k.Session(Head1).Deals.AssignAsync(handedOver.Id, Seller1);   // Seller2's client, now Seller1's deal

        var data = await k.Session(Seller1).Reports.GetSnapshotAsync();

        Assert.Equal(new[] { mine.Client.Value, handedOver.Client.Value }.Order(StringComparer.Ordinal), data.Clients.Order(StringComparer.Ordinal));
        Assert.Equal(3, (await k.Session(Admin).Reports.GetSnapshotAsync()).Clients.Count);
    }

    [Fact]
    public async Task Seller_cannot_see_another_sellers_deal()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller2);

        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Deals.GetAsync(deal.Id));
        Assert.Empty(await k.Session(Seller1).Deals.ListAsync());
        var board = await k.Session(Seller1).Deals.GetBoardAsync(Sales);
        Assert.All(board.Columns, c => Assert.Equal(0, c.Count));
    }

    [Fact]
    public async Task Seller_cannot_change_another_sellers_deal()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller2);

        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Deals.SetFieldAsync(deal.Id, "x", "y"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted")));
        Assert.Equal(Lead, (await k.Session(Seller2).Deals.GetAsync(deal.Id)).Stage);
    }

    [Fact]
    public async Task Head_sees_own_team_but_not_the_other_team()
    {
        await using var k = await WithOrganizationAsync();
        var north = await k.DealAsync(Seller1);
        var south = await k.DealAsync(Seller3);

        var seen = await k.Session(Head1).Deals.ListAsync();
        Assert.Equal([north.Id], seen.Select(d => d.Id));
        await k.Session(Head1).Deals.MoveAsync(north.Id, Proposal);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Deals.MoveAsync(south.Id, Proposal));
        Assert.Equal(2, (await k.Session(Admin).Deals.ListAsync()).Count);
    }

    [Fact]
    public async Task Head_of_the_only_team_sees_all()
    {
        await using var k = Create();
        await k.Kernel.InitializeTenantAsync(k.Tenant, Admin, "Ada");
        var org = k.Session(Admin).Organization;
        await org.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(Head1, "Head", CrmRole.Head));
        await org.DefineTeamAsync(North, "Everyone", Head1);
        await org.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(Seller1, "S1") { Team = North });
        await org.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(Seller2, "S2") { Team = North });
        await k.Session(Admin).Pipelines.DefineAsync(SalesPipeline());
        await k.DealAsync(Seller1);
        await k.DealAsync(Seller2);

        Assert.Equal(2, (await k.Session(Head1).Deals.ListAsync()).Count);
    }

    [Fact]
    public async Task Seller_cannot_open_a_deal_for_someone_else_or_configure()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Acme");
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1, "USD")) { Owner = Seller2 }));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Pipelines.DefineAsync(SalesPipeline()));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("x"), "X")));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Journal.ListAsync());
    }

    [Fact]
    public async Task Unknown_or_deactivated_users_are_denied()
    {
        await using var k = await WithOrganizationAsync();
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(new UserId("ghost")).Deals.ListAsync());
        await k.Session(Admin).Organization.DeactivateUserAsync(Seller2, Seller1);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller2).Deals.ListAsync());
    }

    [Fact]
    public async Task Tenants_never_see_each_other()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        await using var a = await WithOrganizationAsync();
        var deal = await a.DealAsync(Seller1);
        var other = a.Kernel.OpenSession(new TenantId("other"), Admin);

        await a.Kernel.InitializeTenantAsync(new TenantId("other"), Admin, "Other admin");
        Assert.Empty(await other.Deals.ListAsync());
        await Assert.ThrowsAsync<EntityNotFoundException>(() => other.Deals.GetAsync(deal.Id));
        Assert.Single(await other.Journal.ListAsync());
    }
}
