using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

public sealed class RuleActionTests
{
    private sealed class ErpExport : IActionHandler
    {
        public List<(string Rule, DealId Deal, string Target)> Calls { get; } = new();

        public string Name => "erp-export";

        public Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
        {
            Calls.Add((context.Source, context.Deal.Id, context.Parameters["target"]));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_rule_calls_a_plug_in_action_by_name()
    {
        var erp = new ErpExport();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<IActionHandler>(erp));
        await k.Session(Admin).Rules.DefineAsync(RuleDefinition.Create("export-won", "Export won deals", "DealStageChanged")
            .When(new FieldEquals("event.to", "won"))
            .Then(new PluginAction("erp-export", new Dictionary<string, string> { ["target"] = "sap" }))
            .Build());
        var deal = await k.DealAsync(Seller1);

        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        Assert.Empty(erp.Calls);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Won);

        Assert.Equal([("export-won", deal.Id, "sap")], erp.Calls);
    }

    [Fact]
    public async Task A_missing_plug_in_action_fails_the_command_clearly()
    {
        await using var k = await WithOrganizationAsync();
        var rule = RuleDefinition.Create("export", "Export", "DealOpened")
            .Then(new PluginAction("erp-export", new Dictionary<string, string>())).Build();
        // Defining it while no plug-in provides the action is refused (issue 17)…
        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Rules.DefineAsync(rule));
        Assert.Contains(refused.Errors, e => e.Field == "$.actions[0].handler");
        // …and a rule stored while the plug-in was loaded fails the command clearly once it is gone.
        await Issue17RuleTests.StoreRuleAsync(k, rule.Id, rule.Version, RuleJson.Write(rule));
        var client = await k.ClientAsync(Seller1, "Acme");

        var error = await Assert.ThrowsAsync<InvalidStateException>(() =>
            k.Session(Seller1).Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, Sales, Money.Of(1, "USD"))));

        Assert.Contains("erp-export", error.Message);
        Assert.Empty(await k.Session(Seller1).Deals.ListAsync());
    }

    [Fact]
    public async Task A_scheduled_action_can_be_held_to_the_recipients_working_hours()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("tokyo"), "Taro", CrmRole.Seller) { Team = North, TimeZone = "Asia/Tokyo" });
        await k.Session(Admin).Rules.DefineAsync(RuleDefinition.Create("nudge", "Nudge", "DealOpened")
            .After(BusinessDuration.Calendar(Duration.FromHours(1)), new Notify("Nudge", "Look at {title}"), holdToWorkingHours: true)
            .Build());
        // Monday 09:00 UTC is 18:00 in Tokyo: one hour later is after Taro's working hours (09:00-18:00 local).
        await k.DealAsync(new UserId("tokyo"));
        var before = await k.JournalHeadAsync();

        await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(12));
        Assert.Equal(before, await k.JournalHeadAsync());
        await k.Kernel.Scheduler.RunDueAsync(Instant.FromUtc(2026, 3, 3, 0, 0));     // Tuesday 09:00 in Tokyo

        var nudge = (await k.Session(Admin).Journal.ListAsync(before)).Single(e => e.Event is NotificationRequested { Subject: "Nudge" });
        Assert.Equal(new UserId("tokyo"), ((NotificationRequested)nudge.Event).Recipient);
    }

    // Guards (issue 19): a goal's plug-in action runs the same handler, and a goal naming an unknown handler is refused when the pipeline is defined.
    [Fact]
    public async Task Issue19_a_goal_runs_a_plug_in_action_and_an_unknown_handler_is_refused_at_definition()
    {
        var erp = new ErpExport();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<IActionHandler>(erp));
        var pipeline = new PipelineDefinition(new PipelineId("export"), "Export",
        [
            new StageDefinition(new StageId("open"), "Open")
            {
                Goals = [new GoalDefinition(new GoalId("send"), "Send to ERP", [new PluginAction("erp-export", new Dictionary<string, string> { ["target"] = "goal" })])],
            },
            new StageDefinition(new StageId("done"), "Done", StageKind.Won),
        ]);
        var unknown = pipeline with
        {
            Id = new PipelineId("unknown"),
            Stages = [pipeline.Stages[0] with { Goals = [new GoalDefinition(new GoalId("send"), "Send", [new PluginAction("erp-exprot", new Dictionary<string, string>())])] }, pipeline.Stages[1]],
        };

        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Pipelines.DefineAsync(unknown));
        Assert.Contains(refused.Errors, e => e.Field == "stages[0].goals[0].reactions[0].handler" && e.Message.Contains("'erp-exprot'", StringComparison.Ordinal));

        await k.Session(Admin).Pipelines.DefineAsync(pipeline);
        var client = await k.ClientAsync(Seller1, "Acme");
        var deal = await k.Session(Seller1).Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, pipeline.Id, Money.Of(1, "USD")));
        await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("send"));

        Assert.Equal([("send", deal.Id, "goal")], erp.Calls);
    }
}
