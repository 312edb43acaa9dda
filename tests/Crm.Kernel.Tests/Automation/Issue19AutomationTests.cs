using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Abstractions.Events;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Automation;

/// <summary>Issue 19, point 1: one action model, one condition tree, one JSON shape; old shapes refused on input and upcast from storage.</summary>
public sealed class Issue19AutomationTests
{
    private const string RuleHead = """{ "id": "r", "name": "R", "trigger": "DealOpened", """;

    // Guards: a rule written in the old rule-action shape is input, so it is refused with a message naming the new shape.
    [Fact]
    public void Issue19_an_old_rule_action_shape_is_refused_naming_the_new_shape()
    {
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(RuleHead + """ "actions": [ { "type": "notify", "subject": "s", "body": "b" } ] }"""));

        var problem = Assert.Single(error.Errors);
        Assert.Equal("$.actions[0]", problem.Field);
        Assert.Contains("'type: notify' is the old action shape", problem.Message, StringComparison.Ordinal);
        Assert.Contains("{\"action\":\"notify\"", problem.Message, StringComparison.Ordinal);
        Assert.Contains("docs/automation.md", problem.Message, StringComparison.Ordinal);
    }

    // Guards: an old condition deep in a tree is refused at its own path.
    [Fact]
    public void Issue19_an_old_condition_shape_is_refused_at_its_path()
    {
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(RuleHead +
            """ "criteria": { "condition": "allOf", "conditions": [ { "condition": "isSet", "field": "deal.title" }, { "type": "equals", "field": "deal.source", "value": "web" } ] } }"""));

        var problem = Assert.Single(error.Errors);
        Assert.Equal("$.criteria.conditions[1]", problem.Field);
        Assert.Contains("{\"condition\":\"equals\"", problem.Message, StringComparison.Ordinal);
    }

    // Guards: a process template (the methodology plug-ins' JSON) with an old action or guard is refused too.
    [Fact]
    public void Issue19_an_old_process_action_shape_is_refused_naming_the_new_shape()
    {
        const string Template = """
            { "id": "t", "version": 1, "name": "T", "roles": [ "sales" ], "initialStep": "a",
              "steps": [ { "name": "a", "onEntry": [ ACTION ], "transitions": [ { "trigger": "go", "target": "b", "guard": GUARD } ] }, { "name": "b", "final": true } ] }
            """;
        var newAction = """{ "action": "createTask", "assignee": "role:sales", "title": "Call", "due": "1 working day" }""";
        var newGuard = """{ "condition": "equals", "field": "variables.size", "value": "small" }""";
        Assert.Equal("a", ProcessTemplateJson.Load(Template.Replace("ACTION", newAction).Replace("GUARD", newGuard)).InitialStep);

        var oldAction = Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(Template
            .Replace("ACTION", """{ "type": "createTask", "assignee": { "role": "sales" }, "title": "Call", "due": "1 working day" }""").Replace("GUARD", newGuard)));
        Assert.Equal("$.steps[0].onEntry[0]", Assert.Single(oldAction.Errors).Field);
        Assert.Contains("{\"action\":\"createTask\"", oldAction.Message, StringComparison.Ordinal);

        var oldGuard = Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(Template
            .Replace("ACTION", newAction).Replace("GUARD", """{ "type": "equals", "name": "size", "value": "small" }""")));
        Assert.Equal("$.steps[0].transitions[0].guard", Assert.Single(oldGuard.Errors).Field);
        Assert.Contains("variables.<name>", oldGuard.Message, StringComparison.Ordinal);
    }

    // Guards: a kind that applies in one place only is refused elsewhere with a clear message.
    [Fact]
    public void Issue19_wait_for_event_outside_a_process_step_is_refused()
    {
        var error = Assert.Throws<CrmValidationException>(() => RuleJson.Load(RuleHead + """ "actions": [ { "action": "waitForEvent", "event": "InvoicePaid", "trigger": "paid" } ] }"""));

        Assert.Contains(error.Errors, e => e.Field == "$.actions[0].action" && e.Message.Contains("only works in a process step", StringComparison.Ordinal));
    }

    // Guards: process guards are the same condition tree, addressing variables by path.
    [Fact]
    public void Issue19_a_process_guard_reads_variables_through_the_condition_tree()
    {
        var template = ProcessTemplate.Create("g", 1, "Guarded")
            .Step("a", s => s.PermitIf("go", "b", new AllOf([new FieldEquals("variables.size", "small"), new Not(new FieldIsSet("variables.special"))])))
            .FinalStep("b")
            .Build();
        var transition = template.Steps[0].Transitions[0];

        Assert.True(transition.GuardHolds(new Dictionary<string, string> { ["size"] = "small" }));
        Assert.False(transition.GuardHolds(new Dictionary<string, string> { ["size"] = "small", ["special"] = "yes" }));
        Assert.False(transition.GuardHolds(new Dictionary<string, string> { ["size"] = "large" }));
    }

    // Guards: the new JSON round-trips every action and condition kind to equal values.
    [Fact]
    public void Issue19_every_action_and_condition_kind_round_trips_through_rule_json()
    {
        var rule = RuleDefinition.Create("all-kinds", "All kinds", "DealOpened")
            .When(new AnyOf([new FieldIn("deal.source", ["web", "call"]), new FieldBetween("deal.amount", 1, 10)]))
            .Criteria(new AllOf([new FieldCompare("deal.amount", Comparison.LessThan, 10_000m), new Not(new FieldEquals("deal.stage", "won")), new FieldIsSet("deal.title")]))
            .Then(new Notify("s", "b", Recipient.OwnerHead))
            .Then(new CreateTask("t", BusinessDuration.WorkingDays(2), Recipient.User(new UserId("u-1"))))
            .Then(new SetField("deal.classifier.tier", "gold"))
            .Then(new SetField("client.classifier.status", "customer"))
            .Then(new AssignOwner(Recipient.Team(new TeamId("sales"))))
            .Then(new AchieveGoal(new GoalId("g")))
            .Then(new MoveToStage(new StageId("s")))
            .Build();

        var json = RuleJson.Write(rule);
        var back = RuleJson.Load(json);

        Assert.Equal(rule.Actions, back.Actions);
        Assert.Equal(rule.When, back.When);
        Assert.Equal(rule.Criteria, back.Criteria);
        Assert.Contains("\"action\": \"assignOwner\"", json, StringComparison.Ordinal);
        Assert.Contains("\"to\": \"team:sales\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\"", json, StringComparison.Ordinal);
    }

    // Guards: a rule journaled by the previous kernel (RuleDefined.DefinitionJson in the old shape) still loads, upcast.
    [Fact]
    public void Issue19_a_rule_stored_in_the_old_shape_is_upcast_on_read()
    {
        const string Stored = """
            {
              "id": "old", "name": "Old", "trigger": "DealOpened", "version": 2,
              "criteria": { "type": "all", "conditions": [ { "type": "compare", "field": "deal.amount", "op": "LessThan", "value": 10000 }, { "type": "not", "condition": { "type": "in", "field": "deal.source", "values": [ "spam" ] } } ] },
              "actions": [
                { "type": "notify", "subject": "s", "body": "b", "to": "OwnerHead" },
                { "type": "createTask", "title": "t", "due": "1 working day", "for": "User", "user": "u-7" },
                { "type": "setDealClassifier", "name": "tier", "value": "gold" },
                { "type": "moveStage", "stage": "offer" },
                { "type": "startProcess", "templateId": "delivery" },
                { "type": "plugin", "name": "erp", "parameters": { "target": "x" } }
              ],
              "scheduled": [ { "after": "2 working days", "action": { "type": "setDealField", "name": "late", "value": "yes" }, "unless": { "type": "isSet", "field": "deal.field.offerSent" } } ],
              "deadline": { "within": "5 working days", "metWhen": { "type": "isSet", "field": "deal.field.offerSent" }, "notifyOnViolation": "OwnerHead", "policy": "Immediate" }
            }
            """;

        var rule = RuleJson.LoadStored(Stored);

        Assert.Equal(new AllOf([new FieldCompare("deal.amount", Comparison.LessThan, 10000m), new Not(new FieldIn("deal.source", ["spam"]))]), rule.Criteria);
        Assert.Equal(
            [
                new Notify("s", "b", Recipient.OwnerHead),
                new CreateTask("t", BusinessDuration.WorkingDays(1), Recipient.User(new UserId("u-7"))),
                new SetField("deal.classifier.tier", "gold"),
                new MoveToStage(new StageId("offer")),
                new StartProcess("delivery"),
                new PluginAction("erp", new Dictionary<string, string> { ["target"] = "x" }),
            ],
            rule.Actions);
        Assert.Equal(new SetField("deal.field.late", "yes"), Assert.Single(rule.Scheduled).Action);
        Assert.Equal(Recipient.OwnerHead, rule.Deadline!.NotifyOnViolation);
        // The same text given as input is refused: only stored data is upcast.
        Assert.Throws<CrmValidationException>(() => RuleJson.Load(Stored));
    }

    // Guards: a PipelineDefined event journaled by the previous kernel (goal reactions in the old shape) still loads, upcast.
    [Fact]
    public void Issue19_a_pipeline_event_journaled_in_the_old_shape_is_upcast_on_read()
    {
        const string Payload = """
            {"definition":{"id":"sales","name":"Sales","stages":[
              {"id":"lead","name":"Lead","kind":"Open","requiredFields":[],"isUnsorted":false,"goals":[
                {"id":"qualified","name":"Qualified","reactions":[
                  {"type":"moveToStage","stage":"offer"},
                  {"type":"setClientClassifier","name":"status","value":"prospect"},
                  {"type":"setDealField","name":"score","value":"5"},
                  {"type":"assignOwnerToUser","user":"u-1"},
                  {"type":"assignOwnerRoundRobin","team":"t-1"},
                  {"type":"assignOwnerToStageManager"},
                  {"type":"createTask","title":"Call","dueIn":"1:00:00:00","for":"OwnerHead"},
                  {"type":"notify","subject":"s","body":"b","to":"DealOwner"},
                  {"type":"startProcess","templateId":"delivery"},
                  {"type":"achieveGoal","goal":"other"}]}]},
              {"id":"offer","name":"Offer","kind":"Open","requiredFields":[],"isUnsorted":false,"goals":[]}],
             "unknownCallerOwner":"Answerer"}}
            """;

        var pipeline = ((PipelineDefined)new EventTypeRegistry().Deserialize(nameof(PipelineDefined), Payload)).Definition;

        Assert.Equal(
            [
                new MoveToStage(new StageId("offer")),
                new SetField("client.classifier.status", "prospect"),
                new SetField("deal.field.score", "5"),
                new AssignOwner(Recipient.User(new UserId("u-1"))),
                new AssignOwner(Recipient.Team(new TeamId("t-1"))),
                new AssignOwner(Recipient.StageManager()),
                new CreateTask("Call", BusinessDuration.Calendar(Duration.FromDays(1)), Recipient.OwnerHead),
                new Notify("s", "b", Recipient.DealOwner),
                new StartProcess("delivery"),
                new AchieveGoal(new GoalId("other")),
            ],
            pipeline.Stages[0].Goals[0].Reactions);
        // Written again, it takes the one shape.
        Assert.Contains("\"action\":\"assignOwner\"", EventTypeRegistry.Serialize(new PipelineDefined(pipeline)), StringComparison.Ordinal);
    }
}
