using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.MissingManifest;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-missing", "Crm.TestPlugin.MissingManifest", "no manifest", []));
    }
}
