using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Methodology.Spin;
using NodaTime;
using Snapshooter.Xunit;
using Xunit;
using static Crm.Methodologies.Tests.MethodologyKernel;

namespace Crm.Methodologies.Tests;

public sealed class SpinScenarioTests
{
    [Fact]
    public async Task A_deal_goes_from_situation_questions_to_an_advance()
    {
        await using var k = await CreateAsync(new SpinPlugin(), SpinPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(SpinPlugin.Pipeline, "Fjordkraft", 48_000m);
        Assert.Equal(new StageId("situation"), deal.Stage);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("situation-covered"));
        Assert.Equal(new StageId("problem"), deal.Stage);
        Assert.Equal("none", (await seller.Clients.GetAsync(deal.Client)).Classifiers["spin-pain"]);

        // Implication requires the admitted problem in writing.
        await Assert.ThrowsAsync<StageRequirementsNotMetException>(() => seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("problem-admitted")));
        await seller.Deals.SetFieldAsync(deal.Id, "problem", "Invoices are re-keyed by hand; 3 days of delay each month");
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("problem-admitted"));
        Assert.Equal(new StageId("implication"), deal.Stage);
        Assert.Equal("stated", (await seller.Clients.GetAsync(deal.Client)).Classifiers["spin-pain"]);

        // The need-payoff rule starts on entering Implication: a task now, a reminder after 3 working days.
        var instance = Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id));
        Assert.Equal("spin-need-payoff-follow-up", instance.Rule.Value);
        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Prepare need-payoff questions for Fjordkraft");
        await k.PassAsync(Duration.FromDays(2));
        Assert.DoesNotContain(await seller.Inbox.ListAsync(), n => n.Subject == "Need-payoff pending: Fjordkraft");
        await k.PassAsync(Duration.FromDays(1) + Duration.FromHours(1));   // Thursday 10:00: 3 working days after Monday 09:00
        Assert.Contains(await seller.Inbox.ListAsync(), n => n.Subject == "Need-payoff pending: Fjordkraft");

        await seller.Deals.SetFieldAsync(deal.Id, "needPayoff", "Closing the month 3 days earlier frees 40 hours of finance time");
        Assert.Equal(RuleOutcome.Met, Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id)).Outcome);
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("implication-explored"));
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("explicit-need"));
        Assert.Equal(new StageId("commitment"), deal.Stage);

        // The explicit need started the commitment process: proposal → head review → presented.
        var process = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        Assert.Equal(("spin-commitment", "proposal"), (process.TemplateId, process.CurrentStep));
        await seller.Processes.FireAsync(process.Id, "drafted");
        Assert.Contains(await k.Session(Head).Tasks.ListAsync(), t => t.Title.StartsWith("Check that every benefit", StringComparison.Ordinal));
        await k.Session(Head).Processes.FireAsync(process.Id, "approved");
        Assert.Equal("presented", (await seller.Deals.GetAsync(deal.Id)).Fields["spinStep"]);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("advance"));

        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.Equal("solved", (await seller.Clients.GetAsync(deal.Client)).Classifiers["spin-pain"]);
        process = await seller.Processes.GetAsync(process.Id);
        Assert.Equal((ProcessStatus.Completed, "closed"), (process.Status, process.CurrentStep));   // the stage change closed it
        var goals = (await k.JournalAsync()).Select(e => e.Event).OfType<GoalAchieved>().Where(g => g.Deal == deal.Id).Select(g => g.Goal.Value);
        Assert.Equal(["situation-covered", "problem-admitted", "implication-explored", "explicit-need", "advance"], goals);
        Assert.Contains(await k.Session(Head).Inbox.ListAsync(), n => n.Subject == "SPIN deal won");
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task Without_a_need_payoff_the_rule_is_violated_and_the_head_is_told()
    {
        await using var k = await CreateAsync(new SpinPlugin(), SpinPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(SpinPlugin.Pipeline, "Havbris", 12_000m);
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("situation-covered"));
        await seller.Deals.SetFieldAsync(deal.Id, "problem", "Stock-outs every week");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("problem-admitted"));

        await k.PassAsync(Duration.FromDays(8));

        Assert.Equal(RuleOutcome.Violated, Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id)).Outcome);
        Assert.NotEmpty(await k.Session(Head).Inbox.ListAsync());
    }

    [Fact]
    public void Spin_pipeline_and_process() => MethodologyRendering.Render(SpinPlugin.Methodology).MatchSnapshot();
}
