using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using Crm.Kernel.Tests.Rules;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Security;

/// <summary>Issue 17 §3: permission sets per tenant as data (the code of docs/security.md), checked where visibility is checked.</summary>
public sealed class PermissionSetTests
{
    private static readonly UserId Finance = new("fiona");
    private static readonly UserId Auditor = new("olga");

    private static async Task<TestKernel> WithSetsAsync()
    {
        var k = await WithOrganizationAsync();
        await k.Session(Admin).Organization.RegisterUserAsync(new NewUser(Finance, "Fiona Finance"));
        await k.Session(Admin).Organization.RegisterUserAsync(new NewUser(Auditor, "Olga Auditor"));

        // docs/security.md
        var org = k.Session(Admin).Organization;
        await org.DefinePermissionSetAsync("head-all", "Head of sales (all teams)", [Permission.Write, Permission.SeeAllTeams, Permission.ReadJournal]);
        await org.DefinePermissionSetAsync("finance", "Finance", [Permission.Write, Permission.SeeInvoices, Permission.ApproveDiscounts]);
        await org.DefinePermissionSetAsync("auditor", "Read-only auditor", [Permission.SeeAllTeams, Permission.ReadJournal, Permission.SeeInvoices]);
        await org.AssignPermissionSetAsync(new UserId("olga"), "auditor");   // null instead of "auditor": back to the role's defaults

        await org.AssignPermissionSetAsync(Finance, "finance");
        return k;
    }

    [Fact]
    public async Task Sets_are_tenant_data_defined_by_the_administrator_and_journaled()
    {
        await using var k = await WithSetsAsync();

        Assert.Equal(["auditor", "finance", "head-all"], (await k.Session(Seller1).Organization.ListPermissionSetsAsync()).Select(s => s.Id));
        Assert.Equal("auditor", (await k.Session(Admin).Organization.GetUserAsync(Auditor)).PermissionSet);
        var journal = await k.Session(Admin).Journal.ListAsync(0, 100_000);
        Assert.Equal(3, journal.Count(e => e.Event is PermissionSetDefined));
        Assert.Contains(journal, e => e.Event is UserPermissionSetAssigned { Set: "auditor" } a && a.User == Auditor && e.Actor == Admin);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Organization.DefinePermissionSetAsync("mine", "Mine", [Permission.SeeAllTeams]));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Organization.AssignPermissionSetAsync(Head1, "head-all"));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Organization.AssignPermissionSetAsync(Seller1, "no-such-set"));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Organization.AssignPermissionSetAsync(Admin, "auditor"));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Organization.DefinePermissionSetAsync("bad id!", "Bad", [(Permission)42]));
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);   // the sets and assignments replay from the journal
    }

    [Fact]
    public async Task A_head_given_head_all_sees_and_changes_every_team_and_reads_the_whole_journal()
    {
        await using var k = await WithSetsAsync();
        var south = await k.DealAsync(Seller3);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Head1).Deals.GetAsync(south.Id));
        Assert.DoesNotContain(await k.Session(Head1).Journal.ListAsync(0, 100_000), e => e.StreamId == south.Id.Value);

        await k.Session(Admin).Organization.AssignPermissionSetAsync(Head1, "head-all");

        Assert.Equal(south.Id, (await k.Session(Head1).Deals.GetAsync(south.Id)).Id);
        await k.Session(Head1).Deals.MoveAsync(south.Id, Proposal);
        Assert.Contains(await k.Session(Head1).Journal.ListAsync(0, 100_000), e => e.StreamId == south.Id.Value);

        await k.Session(Admin).Organization.AssignPermissionSetAsync(Head1, null);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Head1).Deals.GetAsync(south.Id));
    }

    [Fact]
    public async Task A_seller_given_SeeTeam_sees_their_own_team_only()
    {
        await using var k = await WithSetsAsync();
        var north = await k.DealAsync(Seller1);
        var south = await k.DealAsync(Seller3);
        await k.Session(Admin).Organization.DefinePermissionSetAsync("senior", "Senior seller", [Permission.Write, Permission.SeeTeam]);
        await k.Session(Admin).Organization.AssignPermissionSetAsync(Seller2, "senior");

        Assert.Equal([north.Id], (await k.Session(Seller2).Deals.ListAsync()).Select(d => d.Id));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller2).Deals.GetAsync(south.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller2).Journal.ListAsync());
    }

    [Fact]
    public async Task Finance_sees_and_settles_every_invoice_and_approves_discounts_but_sees_no_deal()
    {
        await using var k = await WithSetsAsync();
        await k.Session(Admin).Products.DefineAsync("desk", "Standing desk", Crm.Abstractions.Money.Of(549.50m, "USD"));
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create());
        var deal = await k.DealAsync(Seller3, 500m, clientName: "Southern Buyer");
        var invoice = await k.Session(Seller3).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", 1m)]);
        var request = Assert.Single(await k.Session(Seller3).Rules.RequestExceptionAsync(deal.Id, "custom delivery"));
        var finance = k.Session(Finance);

        Assert.Equal(invoice.Id, (await finance.Invoices.GetAsync(invoice.Id)).Id);
        Assert.Contains("Southern Buyer", await finance.Invoices.RenderHtmlAsync(invoice.Id), StringComparison.Ordinal);
        Assert.Single(await finance.Invoices.ListForDealAsync(deal.Id));
        await finance.Invoices.IssueAsync(invoice.Id);
        Assert.Equal(InvoiceStatus.Paid, (await finance.Invoices.MarkPaidAsync(invoice.Id)).Status);
        Assert.Equal(Crm.Kernel.Rules.ExceptionStatus.Approved, (await finance.Rules.DecideExceptionAsync(request.Id, approve: true)).ExceptionStatus);

        await Assert.ThrowsAsync<EntityNotFoundException>(() => finance.Deals.GetAsync(deal.Id));
        Assert.Empty(await finance.Deals.ListAsync());
        await Assert.ThrowsAsync<AccessDeniedException>(() => finance.Journal.ListAsync());
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Invoices.GetAsync(invoice.Id));
    }

    [Fact]
    public async Task The_auditor_reads_everything_and_changes_nothing()
    {
        await using var k = await WithSetsAsync();
        var north = await k.DealAsync(Seller1);
        var south = await k.DealAsync(Seller3);
        var auditor = k.Session(Auditor);
        var head = await k.JournalHeadAsync();

        Assert.Equal(new[] { north.Id.Value, south.Id.Value }.Order(StringComparer.Ordinal), (await auditor.Deals.ListAsync()).Select(d => d.Id.Value).Order(StringComparer.Ordinal));
        Assert.Equal(2, (await auditor.Clients.ListAsync()).Count);
        Assert.Equal(head, (await auditor.Journal.ListAsync(0, 100_000))[^1].Position);
        Assert.Equal(2, (await auditor.Reports.GetSnapshotAsync()).DealCount);

        await Assert.ThrowsAsync<AccessDeniedException>(() => auditor.Deals.MoveAsync(south.Id, Proposal));
        await Assert.ThrowsAsync<AccessDeniedException>(() => auditor.Deals.SetFieldAsync(north.Id, "x", "y"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => auditor.Clients.RegisterAsync(new NewClient("Audit AS")));
        await Assert.ThrowsAsync<AccessDeniedException>(() => auditor.Tasks.CreateAsync(new Crm.Kernel.Tasks.NewWorkTask("Audit", Start)));
        await Assert.ThrowsAsync<AccessDeniedException>(() => auditor.Deals.OpenAsync(new NewDeal(north.Client, Sales, Crm.Abstractions.Money.Of(1m, "USD")) { Owner = Seller1 }));
        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Equal(Lead, (await k.Session(Seller3).Deals.GetAsync(south.Id)).Stage);
    }
}
