using System.Reflection;
using Crm.Abstractions.Plugins;
using Newtonsoft.Json;

namespace Crm.TestPlugin.Json13;

/// Reports the Newtonsoft.Json it actually runs with, and proves it works by serializing through it.
public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        var json = typeof(JsonConvert).Assembly;
        var version = json.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        var serialized = JsonConvert.SerializeObject(new { plugin = "json13", major = json.GetName().Version!.Major });
        context.AddMethodology(new SalesMethodology("test-json13", version, serialized, []));
    }
}
