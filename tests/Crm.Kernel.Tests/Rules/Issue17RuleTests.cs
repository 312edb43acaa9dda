using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

/// <summary>Issue 17 §2: a rule must be valid in meaning, and a stored rule that cannot be used must not break the tenant.</summary>
public sealed class Issue17RuleTests
{
    private const string Head = """{ "id": "r", "name": "R", "trigger": "DealOpened", """;

    [Theory]
    [InlineData(Head + """ "actions": [ { "action": "moveToStage" } ] }""", "$.actions[0].stage")]
    [InlineData(Head + """ "actions": [ { "action": "achieveGoal" } ] }""", "$.actions[0].goal")]
    [InlineData(Head + """ "actions": [ { "action": "notify", "subject": "Hi" } ] }""", "$.actions[0].body")]
    [InlineData(Head + """ "scheduled": [ { "after": "1 working day", "action": { "action": "notify", "subject": "Hi" } } ] }""", "$.scheduled[0].action.body")]
    [InlineData(Head + """ "actions": [ { "action": "setField", "field": "client.classifier.status" } ] }""", "$.actions[0].value")]
    [InlineData(Head + """ "actions": [ { "action": "startProcess" } ] }""", "$.actions[0].template")]
    [InlineData(Head + """ "actions": [ { "action": "plugin", "handler": "x" } ] }""", "$.actions[0].parameters")]
    [InlineData(Head + """ "actions": [ { "action": "notify", "subject": "Hi\u0000", "body": "b" } ] }""", "$.actions[0].subject")]
    [InlineData(Head + """ "actions": [ { "action": "notify", "subject": "Hi\uDC00", "body": "b" } ] }""", "$.actions[0].subject")]
    [InlineData(Head + """ "actions": [ { "action": "notify", "subject": "Hi", "body": "b", "to": 7 } ] }""", "$.actions[0].to")]
    [InlineData(Head + """ "criteria": { "condition": "equals", "field": "deal.source" } }""", "$.criteria.value")]
    [InlineData(Head + """ "criteria": { "condition": "in", "field": "deal.source", "values": [ null ] } }""", "$.criteria.values[0]")]
    [InlineData(Head + """ "deadline": { "within": "2147483647 working days", "metWhen": { "condition": "isSet", "field": "deal.title" } } }""", "$.deadline.within")]
    [InlineData(Head + """ "deadline": { "within": "P106751991D", "metWhen": { "condition": "isSet", "field": "deal.title" } } }""", "$.deadline.within")]
    [InlineData(Head + """ "scheduled": [ { "after": "PT99999999H working", "action": { "action": "notify", "subject": "s", "body": "b" } } ] }""", "$.scheduled[0].after")]
    [InlineData("""{ "id": "r", "id": "s", "name": "R", "trigger": "DealOpened" }""", "$")]
    public void Issue17_a_rule_without_meaning_is_rejected_with_its_json_path(string json, string path)
    {
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(json));
        Assert.Contains(error.Errors, e => e.Field.StartsWith(path, StringComparison.Ordinal));
    }

    [Fact]
    public void Issue17_texts_are_bounded()
    {
        var huge = new string('x', 1_000_001);
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(Head + $$""" "actions": [ { "action": "notify", "subject": "s", "body": "{{huge}}" } ] }"""));
        Assert.Contains(error.Errors, e => e.Field == "$.actions[0].body" && e.Message.Contains("at most 4000", StringComparison.Ordinal));
    }

    [Fact]
    public void Issue17_conditions_nest_at_most_16_deep()
    {
        Condition condition = new FieldIsSet("deal.title");
        for (var i = 0; i < 20; i++)
        {
            condition = new Not(condition);
        }

        var error = Assert.Throws<CrmValidationException>(() => RuleDefinition.Create("deep", "Deep", "DealOpened").Criteria(condition).Build());
        Assert.Contains(error.Errors, e => e.Message.Contains("16 deep", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "action": "moveToStage", "stage": "nowhere" }""", "$.actions[0].stage")]
    [InlineData("""{ "action": "achieveGoal", "goal": "no-such-goal" }""", "$.actions[0].goal")]
    [InlineData("""{ "action": "startProcess", "template": "no-such-template" }""", "$.actions[0].template")]
    [InlineData("""{ "action": "plugin", "handler": "not-loaded", "parameters": {} }""", "$.actions[0].handler")]
    public async Task Issue17_define_rejects_targets_that_do_not_resolve_and_changes_nothing(string action, string path)
    {
        await using var k = await WithOrganizationAsync();
        var rule = RuleJson.Load(Head + $$""" "criteria": { "condition": "equals", "field": "deal.pipeline", "value": "sales" }, "actions": [ {{action}} ] }""");
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Rules.DefineAsync(rule));

        Assert.Contains(error.Errors, e => e.Field == path);
        Assert.Equal(head, await k.JournalHeadAsync());
    }

    [Fact]
    public async Task Issue17_define_accepts_a_stage_and_goal_of_the_named_pipeline()
    {
        await using var k = await WithOrganizationAsync();
        var rule = RuleJson.Load(Head + """ "criteria": { "condition": "equals", "field": "deal.pipeline", "value": "sales" }, "actions": [ { "action": "achieveGoal", "goal": "refused" }, { "action": "moveToStage", "stage": "lead" } ] }""");

        var info = await k.Session(Admin).Rules.DefineAsync(rule);

        Assert.False(info.IsBroken);
    }

    /// <summary>Data an older kernel stored: rules that passed its validation but cannot be used now.</summary>
    public static TheoryData<string> OldBrokenRules => new()
    {
        """{ "id": "broken", "name": "Broken move", "trigger": "DealOpened", "actions": [ { "action": "moveToStage" } ] }""",
        """{ "id": "broken", "name": "Broken goal", "trigger": "DealOpened", "actions": [ { "action": "achieveGoal" } ] }""",
        """{ "id": "broken", "name": "No body", "trigger": "DealOpened", "actions": [ { "action": "notify", "subject": "Hi" } ] }""",
        """{ "id": "broken", "name": "Forever", "trigger": "DealOpened", "deadline": { "within": "2147483647 working days", "metWhen": { "condition": "isSet", "field": "deal.title" } } }""",
        """{ "id": "broken", "name": "Forever", "trigger": "DealOpened", "deadline": { "within": "P106751991D", "metWhen": { "condition": "isSet", "field": "deal.title" } } }""",
        """not json at all""",
        """{ "id": "broken", "name": "Lone \uD800 surrogate", "trigger": "DealOpened", "actions": [ { "action": "moveToStage" } ] }""",
    };

    [Theory]
    [MemberData(nameof(OldBrokenRules))]
    public async Task Issue17_a_stored_rule_that_cannot_be_used_is_reported_broken_and_the_tenant_keeps_working(string storedJson)
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create());
        await StoreRuleAsync(k, "broken", 1, storedJson);

        // Deal commands and the rule list still work; the good rule still runs.
        var deal = await k.DealAsync(Seller1, 100m);
        Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(deal.Id));
        var listed = await k.Session(Admin).Rules.ListAsync();
        var broken = Assert.Single(listed, r => r.Definition.Id == "broken");
        Assert.True(broken.IsBroken);
        Assert.NotNull(broken.Problem);
        Assert.False(Assert.Single(listed, r => r.Definition.Id == SmallDealRule.Id).IsBroken);

        // The admin can disable it, and a valid version 2 replaces it.
        await k.Session(Admin).Rules.SetEnabledAsync(new RuleId("broken"), false);
        var fixedRule = RuleDefinition.Create("broken", "Fixed", "DealOpened").Version(2).Then(new Notify("Hello", "A new deal: {title}")).Build();
        await k.Session(Admin).Rules.SetEnabledAsync(new RuleId("broken"), true);
        var info = await k.Session(Admin).Rules.DefineAsync(fixedRule);
        Assert.False(info.IsBroken);
        var next = await k.DealAsync(Seller1, 100m);
        Assert.Contains(await k.Session(Seller1).Rules.ListInstancesAsync(next.Id), i => i.Rule.Value == "broken" && i.RuleVersion == 2);
        Assert.False(Assert.Single(await k.Session(Admin).Rules.ListAsync(), r => r.Definition.Id == "broken").IsBroken);
        await Assert.ThrowsAsync<InvalidStateException>(async () =>
        {
            await StoreRuleAsync(k, "broken", 3, storedJson);
            await k.Session(Admin).Rules.DryRunAsync(new RuleId("broken"));
        });
    }

    /// <summary>Writes a rule version straight into the tenant's journal and rule book, around validation, as an older kernel did.</summary>
    internal static async Task StoreRuleAsync(TestKernel k, string id, int version, string json)
    {
        var (unit, _) = await k.Session(Admin).BeginAsync(CancellationToken.None);
        await unit.RecordAsync(new RuleDefined(new RuleId(id), version, json), Cause.Manual, CancellationToken.None);
        await unit.CommitAsync(CancellationToken.None);
    }
}
