using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Processes.Templates;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Processes.Tests.Processes;

public sealed class ProcessTemplateJsonTests
{
    private const string Valid = """
        {
          "id": "delivery", "version": 2, "name": "Delivery",
          "roles": ["warehouse", "logistics"],
          "initialStep": "picking",
          "steps": [
            { "name": "picking", "responsibleRole": "warehouse", "deadline": "1 working day", "reminders": ["PT2H working"],
              "escalateToHead": true,
              "onEntry": [ { "action": "createTask", "assignee": "role:warehouse", "title": "Pick", "due": "PT4H working" } ],
              "transitions": [ { "trigger": "picked", "target": "shipped", "guard": { "condition": "equals", "field": "variables.stock", "value": "ok" } } ] },
            { "name": "shipped", "responsibleRole": "logistics", "final": true }
          ]
        }
        """;

    private static IReadOnlyList<string> Errors(string json) =>
        Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(json)).Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void Loads_a_valid_template()
    {
        var template = ProcessTemplateJson.Load(Valid);
        var picking = template.GetStep("picking");
        Assert.Equal(2, template.Version);
        Assert.Equal(BusinessDuration.WorkingDays(1), picking.Deadline);
        Assert.Equal([BusinessDuration.WorkingTime(Duration.FromHours(2))], picking.Reminders);
        Assert.Equal(new FieldEquals("variables.stock", "ok"), picking.Transitions[0].Condition);
        Assert.Equal(new CreateTask("Pick", BusinessDuration.WorkingHours(4), Recipient.Role("warehouse")), picking.OnEntry[0]);
    }

    [Fact]
    public void Unknown_step_is_reported_with_its_path()
    {
        Assert.Equal(
            ["$.steps[0].transitions[0].target: unknown step 'shiped'.", "$.steps[1]: step 'shipped' is unreachable from the initial step 'picking'."],
            Errors(Valid.Replace("\"target\": \"shipped\"", "\"target\": \"shiped\"")));
    }

    [Fact]
    public void Unreachable_step_is_reported_with_its_path()
    {
        var json = Valid.Replace(
            "{ \"name\": \"shipped\", \"responsibleRole\": \"logistics\", \"final\": true }",
            "{ \"name\": \"shipped\", \"responsibleRole\": \"logistics\", \"final\": true }, { \"name\": \"lost\", \"final\": true }");
        Assert.Equal(["$.steps[2]: step 'lost' is unreachable from the initial step 'picking'."], Errors(json));
    }

    [Fact]
    public void Missing_roles_are_reported_with_their_paths()
    {
        var json = Valid.Replace("\"roles\": [\"warehouse\", \"logistics\"]", "\"roles\": [\"logistics\"]");
        Assert.Equal(
            ["$.steps[0].responsibleRole: role 'warehouse' is not declared in $.roles.", "$.steps[0].onEntry[0].assignee: role 'warehouse' is not declared in $.roles."],
            Errors(json));
    }

    [Fact]
    public void Duplicate_step_is_reported_with_its_path()
    {
        var json = Valid.Replace("{ \"name\": \"shipped\", \"responsibleRole\": \"logistics\", \"final\": true }",
            "{ \"name\": \"shipped\", \"final\": true }, { \"name\": \"picking\", \"final\": true }");
        Assert.Equal(["$.steps[2].name: duplicate step 'picking' (already declared at $.steps[0])."], Errors(json));
    }

    [Fact]
    public void Missing_initial_step_is_reported()
    {
        Assert.Equal(["$.initialStep: no initial step; name the step new instances start in."], Errors(Valid.Replace("\"initialStep\": \"picking\",", "")));
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var json = Valid
            .Replace("\"initialStep\": \"picking\",", "")
            .Replace("\"roles\": [\"warehouse\", \"logistics\"]", "\"roles\": []")
            .Replace("\"target\": \"shipped\"", "\"target\": \"shiped\"");
        var errors = Errors(json);
        Assert.Equal(5, errors.Count);
        Assert.Contains("$.initialStep: no initial step; name the step new instances start in.", errors);
        Assert.Contains("$.steps[0].transitions[0].target: unknown step 'shiped'.", errors);
        Assert.Contains("$.steps[1].responsibleRole: role 'logistics' is not declared in $.roles.", errors);
    }

    [Fact]
    public void Malformed_values_are_reported_with_their_path()
    {
        var error = Assert.Single(Errors(Valid.Replace("\"1 working day\"", "\"one day\"")));
        Assert.StartsWith("$.steps[0].deadline: 'one day' is not a business duration", error);

        var unknownAction = Assert.Single(Errors(Valid.Replace("\"action\": \"createTask\"", "\"action\": \"fax\"")));
        Assert.StartsWith("$.steps[0].onEntry[0].action: unknown action 'fax'; use one of notify, createTask,", unknownAction);

        var missingType = Assert.Single(Errors(Valid.Replace("\"action\": \"createTask\",", "")));
        Assert.StartsWith("$.steps[0].onEntry[0]: an action needs \"action\"", missingType);

        var unknownGuard = Assert.Single(Errors(Valid.Replace("\"condition\": \"equals\"", "\"condition\": \"eq\"")));
        Assert.StartsWith("$.steps[0].transitions[0].guard.condition: unknown condition 'eq'; use one of equals,", unknownGuard);

        var unknownProperty = Assert.Single(Errors(Valid.Replace("\"escalateToHead\": true", "\"escalate\": true")));
        Assert.Equal("$.steps[0].escalate: unknown property; check its spelling against the template format.", unknownProperty);

        Assert.Equal("$.version: the value has the wrong JSON type (e.g. a number where a string is expected, or an array where an object is expected).",
            Assert.Single(Errors(Valid.Replace("\"version\": 2", "\"version\": \"two\""))));
    }

    [Fact]
    public void Round_trip_gives_an_equal_template()
    {
        foreach (var template in new[] { ProcessTemplateJson.Load(Valid), ProcessTemplates.Delivery, ProcessTemplates.ContractApproval, GuardedTemplate() })
        {
            var json = ProcessTemplateJson.Write(template);
            var loaded = ProcessTemplateJson.Load(json);
            Assert.Equal(template, loaded);
            Assert.Equal(json, ProcessTemplateJson.Write(loaded));
        }
    }

    [Fact]
    public void A_code_guard_cannot_be_written_to_json()
    {
        var template = ProcessTemplate.Create("t", 1, "T")
            .Step("a", s => s.PermitIf("go", "b", v => v.Count > 0, "has variables"))
            .FinalStep("b")
            .Build();
        var ex = Assert.Throws<InvalidOperationException>(() => ProcessTemplateJson.Write(template));
        Assert.Contains("has variables", ex.Message);
    }

    [Fact]
    public void Shipped_templates_load()
    {
        Assert.Equal(["orderConfirmed", "picking", "shipped", "delivered", "documentsSigned"], ProcessTemplates.Delivery.Steps.Select(s => s.Name));
        Assert.All(ProcessTemplates.Delivery.Steps.Where(s => !s.IsFinal), s =>
        {
            Assert.NotNull(s.ResponsibleRole);
            Assert.NotNull(s.Deadline);
            Assert.NotEmpty(s.Reminders);
        });
        Assert.Equal(["draft", "legalReview", "headApproval", "signed"], ProcessTemplates.ContractApproval.Steps.Select(s => s.Name));
        Assert.Contains("\"id\": \"delivery\"", ProcessTemplates.ReadJson("delivery.json"));
    }

    internal static ProcessTemplate GuardedTemplate() => ProcessTemplate.Create("discount", 1, "Discount approval")
        .Role("sales")
        .Role("head")
        .Step("request", s => s
            .ResponsibleRole("sales")
            .Deadline(BusinessDuration.Calendar(Duration.FromHours(48)))
            .PermitIf("submit", "autoApproved", new AllOf([new FieldEquals("variables.size", "small"), new Not(new FieldIsSet("variables.special"))]))
            .PermitIf("submit", "headReview", new AnyOf([new Not(new FieldEquals("variables.size", "small")), new FieldIsSet("variables.special")])))
        .Step("headReview", s => s
            .ResponsibleRole("head")
            .OnEntry(new SetField("client.classifier.discount", "pending"), new StartProcess("contract-approval"))
            .Permit("approve", "autoApproved"))
        .FinalStep("autoApproved", s => s.OnEntry(new SetField("deal.field.discount", "approved")))
        .Build();
}
