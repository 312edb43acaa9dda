using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Processes;
using Crm.Methodology.Dealer;
using NodaTime;
using Snapshooter.Xunit;
using Xunit;
using static Crm.Methodologies.Tests.MethodologyKernel;

namespace Crm.Methodologies.Tests;

public sealed class DealerScenarioTests
{
    [Fact]
    public async Task A_lead_test_drives_gets_credit_signs_takes_delivery_and_is_followed_up()
    {
        await using var k = await CreateAsync(new DealerPlugin(), DealerPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(DealerPlugin.Pipeline, "Kari Nordmann", 42_000m);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted"));
        Assert.Equal(new StageId("test-drive"), deal.Stage);
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Book the test drive and prepare the car");
        await seller.Deals.SetFieldAsync(deal.Id, "model", "Volvo EX30");
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("wants-credit"));
        Assert.Equal(new StageId("credit"), deal.Stage);

        var credit = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        await seller.Processes.FireAsync(credit.Id, "submitted");
        Assert.Equal("at the bank", (await seller.Deals.GetAsync(deal.Id)).Fields["creditStatus"]);

        // The bank answers through the integration: one signal completes the process and, through the rule, the goal.
        deal = await seller.Deals.RaiseSignalAsync(deal.Id, "BankApproved");
        deal = await seller.Deals.GetAsync(deal.Id);
        Assert.Equal(new StageId("contract"), deal.Stage);
        Assert.Equal("credit approved", deal.Fields["financing"]);
        credit = await seller.Processes.GetAsync(credit.Id);
        Assert.Equal((ProcessStatus.Completed, "approved"), (credit.Status, credit.CurrentStep));
        Assert.Contains(await seller.Inbox.ListAsync(), n => n.Subject == "Credit approved");

        // The contract names the car: no delivery without its VIN.
        await Assert.ThrowsAsync<StageRequirementsNotMetException>(() => seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contract-signed")));
        await seller.Deals.SetFieldAsync(deal.Id, "vin", "YV1XZK7V2R2012345");
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contract-signed"));
        Assert.Equal(new StageId("delivery"), deal.Stage);
        await k.PassAsync(Duration.FromDays(4));
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("handed-over"));
        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.Equal("owner", (await seller.Clients.GetAsync(deal.Client)).Classifiers["ownership"]);
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Thank-you call to Kari Nordmann: is everything fine with the car?");

        // Four weeks later (20 working days) the seller invites the owner to the first service; the client books it.
        Assert.DoesNotContain(await seller.Tasks.ListAsync(), t => t.Title.StartsWith("Invite Kari Nordmann", StringComparison.Ordinal));
        await k.PassAsync(Duration.FromDays(29));
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Invite Kari Nordmann to the first service check");
        await seller.Clients.SetClassifierAsync(deal.Client, "ownership", "service-customer");
        await k.PassAsync(Duration.FromDays(10));
        Assert.DoesNotContain(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "No first service booked: Kari Nordmann");

        var goals = (await k.JournalAsync()).Where(e => e.Event is GoalAchieved g && g.Deal == deal.Id).ToArray();
        Assert.Equal(["contacted", "wants-credit", "credit-approved", "contract-signed", "handed-over"], goals.Select(e => ((GoalAchieved)e.Event).Goal.Value));
        Assert.Equal(CauseKind.Rule, goals[2].Cause.Kind);   // the bank rule achieved it
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task A_declined_credit_tells_the_head_and_keeps_the_deal_in_credit_approval()
    {
        await using var k = await CreateAsync(new DealerPlugin(), DealerPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(DealerPlugin.Pipeline, "Ola Nordmann", 35_000m);
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted"));
        await seller.Deals.SetFieldAsync(deal.Id, "model", "Volvo EX40");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("wants-credit"));
        var credit = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        await seller.Processes.FireAsync(credit.Id, "submitted");

        await seller.Deals.RaiseSignalAsync(deal.Id, "BankDeclined");

        Assert.Equal(new StageId("credit"), (await seller.Deals.GetAsync(deal.Id)).Stage);
        Assert.Equal("declined", (await seller.Processes.GetAsync(credit.Id)).CurrentStep);
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Offer a cheaper model or a larger down payment");
        Assert.Contains(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "Credit declined: Ola Nordmann");
    }

    [Fact]
    public async Task An_owner_who_books_no_service_is_escalated_to_the_head()
    {
        await using var k = await CreateAsync(new DealerPlugin(), DealerPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(DealerPlugin.Pipeline, "Per Hansen", 28_000m);
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contacted"));
        await seller.Deals.SetFieldAsync(deal.Id, "model", "Volvo EX30");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("pays-cash"));
        await seller.Deals.SetFieldAsync(deal.Id, "vin", "YV1XZK7V2R2054321");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("contract-signed"));
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("handed-over"));

        await k.PassAsync(Duration.FromDays(33));   // Saturday after 24 working days: invited, not yet escalated
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Invite Per Hansen to the first service check");
        Assert.DoesNotContain(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "No first service booked: Per Hansen");
        await k.PassAsync(Duration.FromDays(5));

        Assert.Contains(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "No first service booked: Per Hansen");
        Assert.Equal("cash", (await seller.Deals.GetAsync(deal.Id)).Fields["financing"]);
    }

    [Fact]
    public void Dealer_pipeline_and_process() => MethodologyRendering.Render(DealerPlugin.Methodology).MatchSnapshot();
}
