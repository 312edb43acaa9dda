using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>Issue 19, point 5: a plug-in loaded from a folder supplies an action (IActionHandler in Crm.Abstractions) that a rule runs.</summary>
public sealed class Issue19ActionHandlerPluginTests
{
    // Guards: the extension point works across the plug-in's load context, and its action leaves an observable effect.
    [Fact]
    public async Task Issue19_a_folder_loaded_plugin_action_runs_from_a_rule_and_leaves_its_effect()
    {
        var stamp = Path.Combine(Directory.CreateTempSubdirectory("crm-stamp-").FullName, "stamp.txt");
        var services = new ServiceCollection().AddCrmKernel(crm => crm.UseInMemoryStore().AddPluginsFrom(TestPluginFolder.With("Crm.TestPlugin.ActionHandler"))).Services;
        await using var provider = services.BuildServiceProvider();
        var report = provider.GetRequiredService<Crm.Kernel.Plugins.PluginLoadReport>();
        Assert.Equal("test.action-handler", Assert.Single(report.Loaded).Id);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var tenant = new TenantId("acme");
        await kernel.InitializeTenantAsync(tenant, new UserId("admin"), "Ada Admin");
        var admin = kernel.OpenSession(tenant, new UserId("admin"));
        await admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("sales"), "Sales",
            [new StageDefinition(new StageId("lead"), "Lead"), new StageDefinition(new StageId("won"), "Won", StageKind.Won)]));

        await admin.Rules.DefineAsync(RuleDefinition.Create("stamp-new-deals", "Stamp new deals", "DealOpened")
            .Then(new PluginAction("stamp-file", new Dictionary<string, string> { ["path"] = stamp, ["note"] = "from the rule" }))
            .Build());
        var client = await admin.Clients.RegisterAsync(new NewClient("Fjord AS"), DuplicateHandling.Merge);
        var deal = await admin.Deals.OpenAsync(new NewDeal(client.Id, new PipelineId("sales"), Money.Of(12_000m, "NOK")));

        Assert.Equal($"acme|stamp-new-deals|{deal.Id.Value}|lead|12000 NOK|from the rule\n", await File.ReadAllTextAsync(stamp));
    }

    // Guards: a rule naming a handler that no plug-in supplies is refused when it is defined, not when it runs.
    [Fact]
    public async Task Issue19_a_rule_naming_an_unknown_handler_is_refused_when_defined()
    {
        var services = new ServiceCollection().AddCrmKernel(crm => crm.UseInMemoryStore().AddPluginsFrom(TestPluginFolder.With("Crm.TestPlugin.ActionHandler"))).Services;
        await using var provider = services.BuildServiceProvider();
        var kernel = provider.GetRequiredService<CrmKernel>();
        var tenant = new TenantId("acme");
        await kernel.InitializeTenantAsync(tenant, new UserId("admin"), "Ada Admin");
        var admin = kernel.OpenSession(tenant, new UserId("admin"));

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Rules.DefineAsync(RuleDefinition.Create("r", "R", "DealOpened")
            .Then(new PluginAction("stamp-filez", new Dictionary<string, string>()))
            .Build()));

        Assert.Contains(error.Errors, e => e.Field == "$.actions[0].handler" && e.Message.Contains("'stamp-filez'", StringComparison.Ordinal));
    }
}
