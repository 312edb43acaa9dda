using Crm.Abstractions;
using Crm.Kernel.Processes;

namespace Crm.Processes.Tests.Processes;

/// <summary>Issue 17 §2: a process template must be valid in meaning, with bounded durations, so one that loads also runs.</summary>
public sealed class Issue17ProcessTemplateTests
{
    private const string Valid = """
        {
          "id": "delivery", "version": 2, "name": "Delivery",
          "roles": ["warehouse", "logistics"],
          "initialStep": "picking",
          "steps": [
            { "name": "picking", "responsibleRole": "warehouse", "deadline": "1 working day", "reminders": ["PT2H working"],
              "escalateToHead": true,
              "onEntry": [ { "action": "createTask", "assignee": "role:warehouse", "title": "Pick", "due": "PT4H working" },
                           { "action": "notify", "to": "role:logistics", "subject": "Picking", "body": "Get ready." } ],
              "transitions": [ { "trigger": "picked", "target": "shipped", "guard": { "condition": "equals", "field": "variables.stock", "value": "ok" } } ] },
            { "name": "shipped", "responsibleRole": "logistics", "final": true }
          ]
        }
        """;

    [Fact]
    public void Issue17_the_sample_loads() => Assert.Equal("delivery", ProcessTemplateJson.Load(Valid).Id);

    [Theory]
    [InlineData("\"deadline\": \"1 working day\"", "\"deadline\": \"2147483647 working days\"", "$.steps[0].deadline")]
    [InlineData("\"deadline\": \"1 working day\"", "\"deadline\": \"P106751991D\"", "$.steps[0].deadline")]
    [InlineData("\"due\": \"PT4H working\"", "\"due\": \"PT9999999999H working\"", "$.steps[0].onEntry[0].due")]
    [InlineData("\"reminders\": [\"PT2H working\"]", "\"reminders\": [\"P9999D\"]", "$.steps[0].reminders[0]")]
    [InlineData(", \"body\": \"Get ready.\"", "", "$.steps[0].onEntry[1].body")]
    [InlineData("\"subject\": \"Picking\"", "\"subject\": \"Pick\\u0007ing\"", "$.steps[0].onEntry[1].subject")]
    [InlineData("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", "{ \"condition\": \"equals\", \"value\": \"ok\" }", "$.steps[0].transitions[0].guard.field")]
    [InlineData("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", "{ \"condition\": \"equals\", \"field\": \"variables.stock\" }", "$.steps[0].transitions[0].guard.value")]
    [InlineData("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", "{ \"condition\": \"not\" }", "$.steps[0].transitions[0].guard.of")]
    [InlineData("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", "{ \"condition\": \"allOf\", \"conditions\": [ null ] }", "$.steps[0].transitions[0].guard.conditions[0]")]
    [InlineData("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", "{ \"condition\": \"allOf\" }", "$")]
    [InlineData("\"name\": \"Delivery\"", "\"name\": \"Delivery\", \"name\": \"Other\"", "$")]
    public void Issue17_a_template_without_meaning_is_rejected_with_its_json_path(string from, string to, string path)
    {
        var json = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, json);
        var error = Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(json));
        Assert.Contains(error.Errors, e => e.Field.StartsWith(path, StringComparison.Ordinal));
    }

    [Fact]
    public void Issue17_guards_nest_at_most_16_deep()
    {
        var guard = "{ \"condition\": \"isSet\", \"field\": \"variables.stock\" }";
        for (var i = 0; i < 20; i++)
        {
            guard = "{ \"condition\": \"not\", \"of\": " + guard + " }";
        }

        var json = Valid.Replace("{ \"condition\": \"equals\", \"field\": \"variables.stock\", \"value\": \"ok\" }", guard, StringComparison.Ordinal);
        var error = Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(json));
        Assert.Contains(error.Errors, e => e.Message.Contains("16 deep", StringComparison.Ordinal));
    }

    [Fact]
    public void Issue17_a_megabyte_title_is_rejected()
    {
        var json = Valid.Replace("\"title\": \"Pick\"", "\"title\": \"" + new string('x', 1_000_001) + "\"", StringComparison.Ordinal);
        var error = Assert.Throws<CrmValidationException>(() => ProcessTemplateJson.Load(json));
        Assert.Contains(error.Errors, e => e.Field == "$.steps[0].onEntry[0].title");
    }
}
