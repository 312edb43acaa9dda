using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

public sealed class RuleTests
{
    [Fact]
    public void Json_round_trip_gives_an_equal_rule()
    {
        var rule = SmallDealRule.Create();
        var json = RuleJson.Write(rule);
        var loaded = RuleJson.Load(json);

        Assert.Equal(json, RuleJson.Write(loaded));
        Assert.Equal(rule.Trigger, loaded.Trigger);
        Assert.Equal(BusinessDuration.WorkingDays(5), loaded.Deadline!.Within);
        Assert.Contains("\"condition\": \"compare\"", json);
    }

    [Theory]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "criteria": { "condition": "equals", "field": "deal.colour", "value": "red" } }""", "$.criteria.field")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "", "actions": [] }""", "$.trigger")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "scheduled": [ { "after": "5 fortnights", "action": { "action": "notify", "subject": "x", "body": "y" } } ] }""", "$.scheduled[0].after")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "type": "teleport" } ] }""", "$.actions[0]")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "action": "notify", "subject": "", "body": "y" } ] }""", "$.actions[0].subject")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "colour": "red" }""", "$")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "exceptions": { "flag": "Complex", "reasons": [] } }""", "$.exceptions")]
    public void Invalid_json_is_rejected_with_the_path(string json, string path)
    {
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(json));
        Assert.Contains(error.Errors, e => e.Field.StartsWith(path, StringComparison.Ordinal));
    }

    [Fact]
    public void A_code_condition_cannot_be_written_to_json()
    {
        var rule = RuleDefinition.Create("c", "Code", "DealOpened").Criteria(new CodeCondition("odd amount", d => d.Amount.Amount % 2 == 1)).Build();
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Write(rule));
        Assert.Contains("crm.AddRule", error.Message);
    }

    [Fact]
    public async Task Dry_run_lists_matching_open_deals_and_what_would_happen_without_writing()
    {
        await using var k = await WithOrganizationAsync();
        var small = await k.DealAsync(Seller1, 500m);
        await k.DealAsync(Seller1, 50_000m);
        await k.DealAsync(Seller3, 100m);
        var head = await k.JournalHeadAsync();

        var matches = await k.Session(Seller1).Rules.DryRunAsync(SmallDealRule.Create());

        var match = Assert.Single(matches);
        Assert.Equal(small.Id, match.Deal.Id);
        Assert.Contains(match.WouldDo, w => w.StartsWith("now: notify dealOwner", StringComparison.Ordinal));
        Assert.Contains(match.WouldDo, w => w.StartsWith("deadline 2026-03-09T09:00:00Z", StringComparison.Ordinal));
        Assert.Equal(head, await k.JournalHeadAsync());
    }

    [Fact]
    public async Task Disabled_rules_do_not_trigger_and_versions_must_grow()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create());
        await k.Session(Admin).Rules.SetEnabledAsync(new RuleId(SmallDealRule.Id), false);
        var deal = await k.DealAsync(Seller1, 100m);
        Assert.Empty(await k.Session(Seller1).Rules.ListInstancesAsync(deal.Id));

        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create()));
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create() with { Version = 2 });
        await k.Session(Admin).Rules.SetEnabledAsync(new RuleId(SmallDealRule.Id), true);
        var next = await k.DealAsync(Seller1, 100m);
        Assert.Equal(2, Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(next.Id)).RuleVersion);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Rules.SetEnabledAsync(new RuleId(SmallDealRule.Id), false));
    }

    [Fact]
    public async Task Scheduled_actions_bound_to_a_stage_are_cancelled_when_the_deal_leaves_it()
    {
        await using var k = await WithOrganizationAsync();
        var rule = RuleDefinition.Create("proposal-follow-up", "Follow up a proposal", "DealStageChanged")
            .When(new FieldEquals("event.to", "proposal"))
            .After(BusinessDuration.WorkingDays(2), new CreateTask("Call about the proposal", BusinessDuration.WorkingDays(1)))
            .BoundToStage()
            .Build();
        await k.Session(Admin).Rules.DefineAsync(rule);
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        var instance = Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(deal.Id));
        k.Clock.Advance(Duration.FromDays(1));

        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);
        k.Clock.Advance(Duration.FromDays(10));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());

        Assert.Empty(await k.Session(Seller1).Tasks.ListAsync());
        var ended = Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(deal.Id));
        Assert.Equal((RuleOutcome.Exempted, "deal left stage proposal"), (ended.Outcome, ended.OutcomeDetail));
        Assert.Equal(instance.Id, ended.Id);
    }

    [Fact]
    public async Task An_event_achieves_a_goal_through_a_rule()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(RuleDefinition.Create("payment-received", "Payment received", "PaymentReceived")
            .Then(new AchieveGoal(new GoalId("purchase-prepared")))
            .Build());
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);

        deal = await k.Session(Seller1).Deals.RaiseSignalAsync(deal.Id, "PaymentReceived");

        Assert.Equal(Won, deal.Stage);
        Assert.Equal(CauseKind.Goal, deal.History[^1].Cause.Kind);
        var entries = await k.Session(Admin).Journal.ListAsync(0, 10_000);
        Assert.Equal(CauseKind.Rule, entries.Single(e => e.Event is GoalAchieved).Cause.Kind);
    }

    [Fact]
    public async Task A_looping_rule_is_stopped_by_the_depth_limit_and_writes_nothing()
    {
        await using var k = await WithOrganizationAsync(maxDepth: 8);
        await k.Session(Admin).Rules.DefineAsync(RuleDefinition.Create("echo", "Echo", "DealFieldSet")
            .Then(new SetField("deal.field.echo", "again"))
            .Build());
        var deal = await k.DealAsync(Seller1);
        var head = await k.JournalHeadAsync();

        await Assert.ThrowsAsync<ReactionCascadeTooDeepException>(() => k.Session(Seller1).Deals.SetFieldAsync(deal.Id, "x", "1"));

        Assert.Equal(head, await k.JournalHeadAsync());
    }

    [Fact]
    public async Task Code_rules_run_for_every_tenant_and_may_use_csharp_conditions()
    {
        var rule = RuleDefinition.Create("vip", "VIP source", "DealOpened")
            .Criteria(new CodeCondition("source is partner", d => d.Source == "partner"))
            .Then(new SetField("deal.classifier.vip", "yes"))
            .Build();
        await using var k = await WithOrganizationAsync(configure: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(s, rule));
        var client = await k.ClientAsync(Seller1, "Partner AS");
        var deal = await k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1, "USD")) { Source = "partner" });

        Assert.Equal("yes", (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Classifiers["vip"]);
        Assert.Contains(await k.Session(Admin).Rules.ListAsync(), r => r.Definition.Id == "vip" && r.InCode);
    }
}
