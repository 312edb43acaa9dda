using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Tasks;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Security;

/// <summary>Regressions of issue 17 §3: the visibility leaks found inside one tenant, each fixed and guarded here.</summary>
public sealed class Issue17VisibilityTests
{
    [Fact]
    public async Task Issue17_a_head_reads_only_the_journal_entries_of_their_team()
    {
        await using var k = await WithOrganizationAsync();
        var north = await k.DealAsync(Seller1);
        await k.Session(Seller3).Clients.RegisterAsync(new NewClient("Southern Secret AS")
        {
            Contacts = [new ClientContact("Olga", "+47 91 23 45 67", "olga@southern.example")],
        });
        var south = await k.DealAsync(Seller3);

        var seen = await k.Session(Head1).Journal.ListAsync(0, 100_000);

        Assert.Contains(seen, e => e.StreamId == north.Id.Value);
        Assert.DoesNotContain(seen, e => e.StreamId == south.Id.Value || e.StreamId == south.Client.Value || e.StreamId == Seller3.Value);
        Assert.DoesNotContain(seen, e => e.Event.ToString()!.Contains("Southern", StringComparison.Ordinal) || e.Event.ToString()!.Contains("+4791234567", StringComparison.Ordinal));
        Assert.Contains(await k.Session(Admin).Journal.ListAsync(0, 100_000), e => e.StreamId == south.Id.Value);
    }

    [Fact]
    public async Task Issue17_a_taken_phone_of_a_client_the_caller_cannot_see_does_not_name_that_client()
    {
        await using var k = await WithOrganizationAsync();
        var hidden = await k.Session(Seller3).Clients.RegisterAsync(new NewClient("Hidden Holdings") { Contacts = [new ClientContact(null, "+47 22 33 44 55", null)] });
        var attempt = new NewClient("Mine") { Contacts = [new ClientContact(null, "22334455", null)] };

        foreach (var handling in new[] { DuplicateHandling.Fail, DuplicateHandling.Merge })
        {
            var error = await Assert.ThrowsAnyAsync<DuplicateKeyException>(() => k.Session(Seller1).Clients.RegisterAsync(attempt, handling));
            Assert.IsNotType<DuplicateClientException>(error);
            Assert.DoesNotContain("Hidden", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(hidden.Id.Value, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(hidden.Id.Value, error.ExistingOwnerId, StringComparison.Ordinal);
            Assert.Contains("taken", error.Message, StringComparison.Ordinal);
        }

        // The owner's head sees the card, so they are told which one it is.
        var named = await Assert.ThrowsAsync<DuplicateClientException>(() => k.Session(Head2).Clients.RegisterAsync(attempt));
        Assert.Equal(hidden.Id, named.ExistingClient);
    }

    [Fact]
    public async Task Issue17_a_seller_cannot_open_a_deal_on_a_colleagues_client_nor_reach_it_afterwards()
    {
        await using var k = await WithOrganizationAsync();
        var colleagues = await k.ClientAsync(Seller2, "Colleague's client");

        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Deals.OpenAsync(new NewDeal(colleagues.Id, Sales, Money.Of(10m, "USD"))));
        await Assert.ThrowsAnyAsync<CrmException>(() => k.Session(Seller1).Activities.LogAsync(new NewActivity(ActivityKind.Note, colleagues.Id, "peek")));
        Assert.DoesNotContain(colleagues.Id.Value, (await k.Session(Seller1).Reports.GetSnapshotAsync()).Clients);
        Assert.Empty(await k.Session(Seller1).Deals.ListAsync());
    }

    [Fact]
    public async Task Issue17_a_task_cannot_name_a_client_the_seller_does_not_see()
    {
        await using var k = await WithOrganizationAsync();
        var colleagues = await k.ClientAsync(Seller2, "Colleague's client");
        var own = await k.ClientAsync(Seller1, "Own client");

        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call them", Start) { Client = colleagues.Id }));
        var task = await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call them", Start) { Client = own.Id });
        Assert.Equal(own.Id, task.Client);
    }

    [Fact]
    public async Task A_deal_handed_over_on_a_colleagues_client_shares_exactly_that_card()
    {
        await using var k = await WithOrganizationAsync();
        var shared = await k.ClientAsync(Seller2, "Shared through a deal");
        var other = await k.ClientAsync(Seller2, "Still Sven's alone");
        var deal = await k.Session(Head1).Deals.OpenAsync(new NewDeal(shared.Id, Sales, Money.Of(10m, "USD")) { Owner = Seller1 });

        Assert.Equal(shared.Id, (await k.Session(Seller1).Clients.GetAsync(shared.Id)).Id);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Clients.GetAsync(other.Id));
        await k.Session(Seller1).Activities.LogAsync(new NewActivity(ActivityKind.Call, shared.Id, "on the deal") { Deal = deal.Id });
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Activities.LogAsync(new NewActivity(ActivityKind.Call, shared.Id, "off the deal")));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Clients.SetClassifierAsync(shared.Id, "status", "mine now"));
        Assert.DoesNotContain(await k.Session(Seller1).Clients.ListAsync(), c => c.Id == other.Id);
    }

    [Fact]
    public async Task Issue17_rendering_ones_own_invoice_on_a_colleagues_client_works()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Products.DefineAsync("desk", "Standing desk", Money.Of(549.50m, "USD"));
        var colleagues = await k.ClientAsync(Seller2, "Sven's Customer");
        var deal = await k.Session(Head1).Deals.OpenAsync(new NewDeal(colleagues.Id, Sales, Money.Of(549.50m, "USD")) { Owner = Seller1 });
        var invoice = await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", 1m)]);

        var html = await k.Session(Seller1).Invoices.RenderHtmlAsync(invoice.Id);

        Assert.Contains("Sven&#39;s Customer", html, StringComparison.Ordinal);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller3).Invoices.RenderHtmlAsync(invoice.Id));
    }

    [Fact]
    public async Task Issue17_a_colleague_who_answers_sees_the_callers_name_contacts_and_owner_and_it_is_journaled()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.Session(Seller1).Clients.RegisterAsync(new NewClient("Caller Corp")
        {
            Contacts = [new ClientContact("Petra", "+47 91 55 55 55", "petra@caller.example")],
            City = "Bergen",
        });
        await k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(99m, "USD")) { Title = "Secret deal" });
        await k.Kernel.Telephony.HandleAsync(k.Tenant, new CallEvent("call-1", CallEventKind.Answered, CallDirection.Inbound, "+4791555555", "s2", Start));

        var card = await k.Kernel.Telephony.GetClientCardAsync(k.Tenant, client.Id, Seller2);

        Assert.Equal("Caller Corp", card.Client.Name);
        Assert.Equal(Seller1, card.Client.Owner);
        Assert.Equal("+4791555555", Assert.Single(card.Client.Contacts).Phone);
        Assert.Null(card.Client.City);
        Assert.Empty(card.OpenDeals);
        Assert.Contains(await k.Session(Admin).Journal.ListAsync(0, 100_000),
            e => e.Event is Crm.Kernel.Security.CallerCardShown shown && shown.User == Seller2 && shown.Client == client.Id && shown.Call == "call-1");

        // Someone who took no call from that client still sees nothing.
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Kernel.Telephony.GetClientCardAsync(k.Tenant, client.Id, Seller3));
    }

    [Fact]
    public async Task Issue17_an_unknown_callers_call_without_an_unsorted_stage_lands_in_the_first_open_stage()
    {
        var pipeline = SalesPipeline();
        pipeline = pipeline with { Stages = pipeline.Stages.Where(s => !s.IsUnsorted).ToArray() };
        await using var k = await WithOrganizationAsync(pipeline);

        var handled = await k.Kernel.Telephony.HandleAsync(k.Tenant, new CallEvent("call-2", CallEventKind.Answered, CallDirection.Inbound, "+4799887766", "s1", Start));

        var created = Assert.NotNull(handled.CreatedDeal);
        var deal = await k.Session(Seller1).Deals.GetAsync(created);
        Assert.Equal(Lead, deal.Stage);
        Assert.Equal(deal.Client, handled.Call.Client);
    }
}
