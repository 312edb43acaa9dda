using Crm.Abstractions;
using Crm.Kernel.Deals;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Methodology.Saas;
using NodaTime;
using Snapshooter.Xunit;
using Xunit;
using static Crm.Methodologies.Tests.MethodologyKernel;

namespace Crm.Methodologies.Tests;

public sealed class SaasScenarioTests
{
    [Fact]
    public async Task A_trial_is_onboarded_activated_paid_flagged_for_upsell_and_churn_and_renewed()
    {
        await using var k = await CreateAsync(new SaasPlugin(), SaasPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var head = k.Session(Head);
        var deal = await k.OpenDealAsync(SaasPlugin.Pipeline, "Polarlys", 12_000m);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("workspace-created"));
        Assert.Equal(new StageId("activation"), deal.Stage);
        var onboarding = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        Assert.Equal("trial", (await seller.Clients.GetAsync(deal.Client)).Classifiers["plan"]);
        await seller.Processes.FireAsync(onboarding.Id, "welcomed");
        onboarding = await seller.Processes.FireAsync(onboarding.Id, "configured");
        Assert.Equal("adoption", onboarding.CurrentStep);

        // Activation is a goal; the onboarding process waits for it and completes.
        await k.PassAsync(Duration.FromDays(3));
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("activated"));
        onboarding = await seller.Processes.GetAsync(onboarding.Id);
        Assert.Equal((ProcessStatus.Completed, "live"), (onboarding.Status, onboarding.CurrentStep));
        Assert.Equal("healthy", (await seller.Clients.GetAsync(deal.Client)).Classifiers["health"]);

        // The first paid invoice converts the trial (rule → goal → stage).
        await k.Session(Admin).Products.DefineAsync("team-plan", "Team plan, 12 months", Money.Of(12_000m, "EUR"));
        var invoice = await seller.Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("team-plan", 1m)]);
        await seller.Invoices.IssueAsync(invoice.Id);
        await seller.Invoices.MarkPaidAsync(invoice.Id);
        deal = await seller.Deals.GetAsync(deal.Id);
        Assert.Equal(new StageId("paid"), deal.Stage);
        Assert.Equal("paid", (await seller.Clients.GetAsync(deal.Client)).Classifiers["plan"]);

        // Usage from product analytics: seats nearly full → upsell candidate; activity low → churn risk.
        await seller.Deals.SetFieldAsync(deal.Id, "seatUtilisation", "80");
        Assert.False((await seller.Deals.GetAsync(deal.Id)).Classifiers.ContainsKey("upsell"));
        await seller.Deals.SetFieldAsync(deal.Id, "seatUtilisation", "95");
        Assert.Equal("candidate", (await seller.Deals.GetAsync(deal.Id)).Classifiers["upsell"]);
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Offer Polarlys the next plan: seats are nearly all in use");
        await seller.Deals.SetFieldAsync(deal.Id, "weeklyActiveUsers", "2");
        Assert.Equal("at-risk", (await seller.Clients.GetAsync(deal.Client)).Classifiers["health"]);
        Assert.Contains(await head.Inbox.ListAsync(), n => n.Subject == "Churn risk: Polarlys");

        // Two weeks without recovery or upsell: the churn rule is violated and the head hears about the upsell.
        await k.PassAsync(Duration.FromDays(15));
        var churn = Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id), i => i.Rule.Value == "saas-churn-risk");
        Assert.Equal(RuleOutcome.Violated, churn.Outcome);
        Assert.Contains(await head.Inbox.ListAsync(), n => n.Subject == "Upsell not pursued: Polarlys");

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("renewal-window"));
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("renewed"));
        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task Usage_recovering_in_time_meets_the_churn_rule_and_an_upgrade_stops_the_upsell_reminder()
    {
        await using var k = await CreateAsync(new SaasPlugin(), SaasPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(SaasPlugin.Pipeline, "Midnattsol", 6_000m);
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("workspace-created"));
        await seller.Deals.MoveAsync(deal.Id, new StageId("paid"));
        await seller.Deals.SetFieldAsync(deal.Id, "weeklyActiveUsers", "1");
        await seller.Deals.SetFieldAsync(deal.Id, "seatUtilisation", "92");

        await k.PassAsync(Duration.FromDays(4));
        await seller.Deals.SetFieldAsync(deal.Id, "weeklyActiveUsers", "7");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("upgraded"));
        await k.PassAsync(Duration.FromDays(20));

        Assert.Equal(RuleOutcome.Met, Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id), i => i.Rule.Value == "saas-churn-risk").Outcome);
        Assert.DoesNotContain(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "Upsell not pursued: Midnattsol");
        Assert.Contains(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "Upsell won");
    }

    [Fact]
    public void Saas_pipeline_and_process() => MethodologyRendering.Render(SaasPlugin.Methodology).MatchSnapshot();
}
