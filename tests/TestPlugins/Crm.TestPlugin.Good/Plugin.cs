using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.Good;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-good", "Crm.TestPlugin.Good", "loaded from a folder", []));
    }
}
