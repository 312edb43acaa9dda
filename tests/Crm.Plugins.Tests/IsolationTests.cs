using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>Everything but the shared contract stays private to a plug-in: two majors of one package live side by side.</summary>
public sealed class IsolationTests
{
    [Fact]
    public void Two_plugins_on_different_Newtonsoft_Json_majors_both_load_and_each_runs_its_own()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.Json12", "Crm.TestPlugin.Json13"));
        using (provider)
        {
            Assert.Equal(["test.json12", "test.json13"], report.Loaded.Select(p => p.Id));
            Assert.Empty(report.Skipped);

            // Each plug-in names the Newtonsoft.Json it ran (its informational version) and serialized through it.
            var byId = provider.GetServices<SalesMethodology>().ToDictionary(m => m.Id);
            Assert.StartsWith("12.0.3", byId["test-json12"].Name);
            Assert.Equal("""{"plugin":"json12","major":12}""", byId["test-json12"].Description);
            Assert.StartsWith("13.0.4", byId["test-json13"].Name);
            Assert.Equal("""{"plugin":"json13","major":13}""", byId["test-json13"].Description);
        }
    }

    [Fact]
    public void A_plugins_private_dependency_does_not_enter_the_hosts_load_context()
    {
        var (provider, _) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.Json12"));
        using (provider)
        {
            var json12InDefault = System.Runtime.Loader.AssemblyLoadContext.Default.Assemblies
                .Where(a => a.GetName().Name == "Newtonsoft.Json" && a.GetName().Version!.Major == 12);
            Assert.Empty(json12InDefault);
            var contractContexts = AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name == "Crm.Abstractions");
            Assert.Equal(1, contractContexts);   // the contract is shared: loaded once, by the host
        }
    }
}
