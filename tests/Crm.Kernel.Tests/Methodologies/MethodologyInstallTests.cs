using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using Crm.Kernel.Methodologies;
using Crm.Kernel.Reports;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Methodologies;

public sealed class MethodologyInstallTests
{
    private static readonly PipelineId Pipeline = new("demo");

    private const string Template = """
        { "id": "demo-onboarding", "version": 1, "name": "Onboarding", "roles": [ "sales" ], "initialStep": "kickoff",
          "steps": [
            { "name": "kickoff", "responsibleRole": "sales", "deadline": "2 working days",
              "onEntry": [ { "action": "createTask", "assignee": "role:sales", "title": "Hold the kick-off", "due": "2 working days" } ],
              "transitions": [ { "trigger": "done", "target": "live" } ] },
            { "name": "live", "final": true, "onEntry": [ { "action": "setField", "field": "client.classifier.stage", "value": "live" } ] } ] }
        """;

    private const string Rule = """
        { "id": "demo-follow-up", "name": "Follow up a new demo deal", "trigger": "DealOpened", "version": 1,
          "criteria": { "condition": "equals", "field": "deal.pipeline", "value": "demo" },
          "actions": [ { "action": "createTask", "title": "Call {title}", "due": "1 working day" } ] }
        """;

    private const string Preset = """{ "name": "Won by owner", "groupBy": [ "Owner" ], "measures": [ "Count", "Sum" ], "currency": "EUR", "wonOnly": true }""";

    internal static SalesMethodology Demo(string template = Template, string rule = Rule, string classifierValue = "customer") =>
        new("demo", "Demo", "A methodology for tests.",
        [
            new PipelineDefinition(Pipeline, "Demo",
            [
                new StageDefinition(new StageId("talk"), "Talk")
                {
                    Norm = Duration.FromDays(5),
                    Goals = [new GoalDefinition(new GoalId("agreed"), "Agreed",
                        [new MoveToStage(new StageId("won")), new SetField("client.classifier.stage", classifierValue), new StartProcess("demo-onboarding")])],
                },
                new StageDefinition(new StageId("won"), "Won", StageKind.Won),
                new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
            ]),
        ])
        {
            ProcessTemplates = [new MethodologyDocument("onboarding.json", template)],
            Rules = [new MethodologyDocument("follow-up.json", rule)],
            Classifiers = [new ClientClassifierDefinition("stage", ["prospect", "customer", "live"])],
            ReportPresets = [new MethodologyDocument("won-by-owner.json", Preset)],
        };

    private sealed class DemoPlugin(SalesMethodology methodology) : ICrmPlugin
    {
        public void Configure(ICrmPluginContext context) => context.AddMethodology(methodology);
    }

    private static Task<TestKernel> KernelWith(SalesMethodology methodology) =>
        WithOrganizationAsync(configure: s => s.AddCrmKernel(crm => crm.AddPlugin(new DemoPlugin(methodology))));

    [Fact]
    public async Task Install_defines_pipelines_rules_templates_classifiers_and_presets()
    {
        await using var k = await KernelWith(Demo());
        var admin = k.Session(Admin);
        Assert.Null(Assert.Single(await admin.Methodologies.ListAsync()).Installed);

        var installed = await admin.Methodologies.InstallAsync("demo");

        Assert.Equal(["demo-follow-up@1"], installed.Rules);
        Assert.Equal(["demo-onboarding@1"], installed.ProcessTemplates);
        Assert.Equal(Start, installed.InstalledAt);
        Assert.Equal("Demo", (await admin.Pipelines.GetAsync(Pipeline)).Name);
        Assert.Contains(await admin.Rules.ListAsync(), r => r.Definition.Id == "demo-follow-up" && r.Enabled && !r.InCode);
        Assert.Contains(admin.Processes.Templates, t => t.Id == "demo-onboarding");
        Assert.Equal(["prospect", "customer", "live"], Assert.Single(await k.Session(Seller1).Methodologies.ListClassifiersAsync()).AllowedValues);
        var preset = Assert.Single(await k.Session(Seller1).Methodologies.ListReportPresetsAsync());
        Assert.Equal(new ReportPreset("demo", preset.Definition), preset);
        Assert.Equal([Dimension.Owner], preset.Definition.GroupBy);
        Assert.True(preset.Definition.WonOnly);
        Assert.NotNull(Assert.Single(await admin.Methodologies.ListAsync()).Installed);
        var journal = await admin.Journal.ListAsync();
        Assert.Single(journal, e => e.Event is MethodologyInstalled { Methodology: "demo" } && e.Cause.Reference == "methodology:demo");
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task Installed_methodology_runs_its_goal_reactions_process_and_rule()
    {
        await using var k = await KernelWith(Demo());
        await k.Session(Admin).Methodologies.InstallAsync("demo");
        var client = await k.ClientAsync(Seller1, "Nordlys AS");
        var seller = k.Session(Seller1);
        var deal = await seller.Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, Pipeline, Money.Of(900m, "EUR")) { Title = "Nordlys" });

        Assert.Contains(await seller.Tasks.ListAsync(), t => t.Title == "Call Nordlys");   // the rule
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("agreed"));
        Assert.Equal(new StageId("won"), deal.Stage);
        var process = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        Assert.Equal("kickoff", process.CurrentStep);
        Assert.Equal("customer", (await seller.Clients.GetAsync(client.Id)).Classifiers["stage"]);
        await seller.Processes.FireAsync(process.Id, "done");
        Assert.Equal("live", (await seller.Clients.GetAsync(client.Id)).Classifiers["stage"]);
    }

    [Fact]
    public async Task Installing_twice_records_nothing_the_second_time()
    {
        await using var k = await KernelWith(Demo());
        var first = await k.Session(Admin).Methodologies.InstallAsync("demo");
        var head = await k.JournalHeadAsync();
        k.Clock.Advance(Duration.FromHours(1));

        var second = await k.Session(Admin).Methodologies.InstallAsync("demo");

        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Equal(first.InstalledAt, second.InstalledAt);
        Assert.Equal(1, second.Installations);
        Assert.Single(await k.Session(Admin).Rules.ListAsync(), r => r.Definition.Id == "demo-follow-up");
    }

    [Fact]
    public async Task Only_an_administrator_lists_or_installs()
    {
        await using var k = await KernelWith(Demo());
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Methodologies.InstallAsync("demo"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Methodologies.ListAsync());
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Admin).Methodologies.InstallAsync("nope"));
        Assert.Empty(await k.Session(Admin).Methodologies.ListInstalledAsync());
    }

    [Fact]
    public async Task An_invalid_template_names_the_methodology_document_and_json_path_and_installs_nothing()
    {
        await using var k = await KernelWith(Demo(template: Template.Replace("\"target\": \"live\"", "\"target\": \"liev\"", StringComparison.Ordinal)));
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => k.Session(Admin).Methodologies.InstallAsync("demo"));

        Assert.Equal("demo", error.Methodology);
        Assert.Contains(error.Errors, e => e.Field == "methodologies[demo].processTemplates[onboarding.json].steps[0].transitions[0].target" && e.Message.Contains("liev", StringComparison.Ordinal));
        // The goal's StartProcess now points at a template that did not load: reported too.
        Assert.Contains(error.Errors, e => e.Field == "methodologies[demo].pipelines[demo].stages[0].goals[0].reactions[2].template");
        Assert.Equal(head, await k.JournalHeadAsync());
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Admin).Pipelines.GetAsync(Pipeline));
    }

    // Guards (issue 19): a methodology whose rule calls a plug-in action handler no loaded plug-in registered is refused at install.
    [Fact]
    public async Task Issue19_a_methodology_rule_naming_an_unknown_action_handler_is_refused_at_install()
    {
        var rule = Rule.Replace("""{ "action": "createTask", "title": "Call {title}", "due": "1 working day" }""",
            """{ "action": "plugin", "handler": "crm-export", "parameters": { "to": "erp" } }""", StringComparison.Ordinal);
        Assert.NotEqual(Rule, rule);
        await using var k = await KernelWith(Demo(rule: rule));

        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => k.Session(Admin).Methodologies.InstallAsync("demo"));

        Assert.Contains(error.Errors, e => e.Message.Contains("'crm-export'", StringComparison.Ordinal));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Admin).Pipelines.GetAsync(Pipeline));
    }

    [Fact]
    public async Task Malformed_rule_json_and_a_disallowed_classifier_value_are_reported_together()
    {
        await using var k = await KernelWith(Demo(rule: Rule.Replace("\"DealOpened\",", "\"DealOpened\", \"trigerr\": 1,", StringComparison.Ordinal), classifierValue: "vip"));

        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => k.Session(Admin).Methodologies.InstallAsync("demo"));

        Assert.Contains(error.Errors, e => e.Field.StartsWith("methodologies[demo].rules[follow-up.json]", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Field == "methodologies[demo].pipelines[demo].stages[0].goals[0].reactions[1].value" && e.Message.Contains("prospect, customer, live", StringComparison.Ordinal));
        Assert.Contains("methodologies[demo]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_the_tenant_has_with_other_content_at_the_same_version_fails_the_whole_install()
    {
        await using var k = await KernelWith(Demo());
        await k.Session(Admin).Rules.DefineAsync(Crm.Kernel.Rules.RuleJson.Load(Rule.Replace("Call {title}", "Mail {title}", StringComparison.Ordinal)));
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => k.Session(Admin).Methodologies.InstallAsync("demo"));

        Assert.Equal("methodologies[demo].rules[demo-follow-up].version", Assert.Single(error.Errors).Field);
        Assert.Equal(head, await k.JournalHeadAsync());
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Admin).Pipelines.GetAsync(Pipeline));
        Assert.Empty(await k.Session(Admin).Methodologies.ListInstalledAsync());
    }

    [Fact]
    public async Task The_same_plugin_added_twice_is_one_methodology_but_two_with_one_id_conflict()
    {
        var demo = Demo();
        await using (var twice = await WithOrganizationAsync(configure: s => s.AddCrmKernel(crm => crm.AddPlugin(new DemoPlugin(demo)).AddPlugin(new DemoPlugin(demo)))))
        {
            Assert.Single(await twice.Session(Admin).Methodologies.ListAsync());
            await twice.Session(Admin).Methodologies.InstallAsync("demo");
        }

        await using var conflict = await WithOrganizationAsync(configure: s => s.AddCrmKernel(crm => crm.AddPlugin(new DemoPlugin(demo)).AddPlugin(new DemoPlugin(Demo()))));
        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => conflict.Session(Admin).Methodologies.InstallAsync("demo"));
        Assert.Contains("2 plug-ins add a methodology with this id", Assert.Single(error.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_id_clashing_with_a_kernel_template_is_refused()
    {
        var clash = Template.Replace("\"demo-onboarding\"", "\"delivery\"", StringComparison.Ordinal);
        var methodology = Demo(template: clash) with { Pipelines = [] };
        await using var k = await KernelWith(methodology);

        var error = await Assert.ThrowsAsync<MethodologyValidationException>(() => k.Session(Admin).Methodologies.InstallAsync("demo"));

        Assert.Equal("methodologies[demo].processTemplates[onboarding.json].id", Assert.Single(error.Errors).Field);
        Assert.Equal(Crm.Kernel.Processes.Templates.ProcessTemplates.Delivery, k.Session(Admin).Processes.Templates.Single(t => t.Id == "delivery"));
    }
}

public sealed class MethodologyRestartAndUpdateTests
{
    private const string RuleV2 = """
        { "id": "demo-follow-up", "name": "Follow up a new demo deal", "trigger": "DealOpened", "version": 2,
          "criteria": { "condition": "equals", "field": "deal.pipeline", "value": "demo" },
          "actions": [ { "action": "createTask", "title": "Call {title} today", "due": "PT4H working" } ] }
        """;

    private sealed class Plugin(SalesMethodology methodology) : ICrmPlugin
    {
        public void Configure(ICrmPluginContext context) => context.AddMethodology(methodology);
    }

    /// <summary>A kernel on a shared store: a second one stands for the same application after a restart.</summary>
    private static TestKernel On(Crm.Abstractions.Storage.ICrmStore store, SalesMethodology methodology) =>
        TestKernel.Create(s =>
        {
            s.AddCrmKernel(crm => crm.AddPlugin(new Plugin(methodology)));
            s.AddSingleton(store);
        });

    [Fact]
    public async Task After_a_restart_a_running_methodology_process_goes_on()
    {
        var store = new Crm.Kernel.Storage.InMemoryCrmStore();
        var methodology = MethodologyInstallTests.Demo();
        string process;
        await using (var before = On(store, methodology))
        {
            await before.SetUpOrganizationAsync();
            await before.Session(Admin).Methodologies.InstallAsync("demo");
            var client = await before.ClientAsync(Seller1, "Nordlys AS");
            var deal = await before.Session(Seller1).Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, new PipelineId("demo"), Money.Of(900m, "EUR")));
            await before.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("agreed"));
            process = Assert.Single(await before.Session(Seller1).Processes.ListForDealAsync(deal.Id)).Id.Value;
        }

        await using var after = On(store, methodology);
        var fired = await after.Session(Seller1).Processes.FireAsync(new ProcessId(process), "done");

        Assert.Equal(Crm.Kernel.Processes.ProcessStatus.Completed, fired.Status);
    }

    [Fact]
    public async Task An_updated_methodology_records_only_what_changed()
    {
        var store = new Crm.Kernel.Storage.InMemoryCrmStore();
        var v1 = MethodologyInstallTests.Demo();
        await using (var before = On(store, v1))
        {
            await before.SetUpOrganizationAsync();
            await before.Session(Admin).Methodologies.InstallAsync("demo");
        }

        var v2 = v1 with { Rules = [new MethodologyDocument("follow-up.json", RuleV2)] };
        await using var after = On(store, v2);
        var head = await after.JournalHeadAsync();

        var installed = await after.Session(Admin).Methodologies.InstallAsync("demo");

        var recorded = (await after.Session(Admin).Journal.ListAsync(head)).Select(e => e.Event.GetType().Name);
        Assert.Equal(["RuleDefined", "MethodologyInstalled"], recorded);
        Assert.Equal(["demo-follow-up@2"], installed.Rules);
        Assert.Equal(2, installed.Installations);
        Assert.Equal(2, (await after.Session(Admin).Rules.ListAsync()).Single(r => r.Definition.Id == "demo-follow-up").Definition.Version);
    }
}
