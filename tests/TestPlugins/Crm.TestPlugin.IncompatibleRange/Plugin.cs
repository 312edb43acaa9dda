using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.IncompatibleRange;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-incompatible", "Crm.TestPlugin.IncompatibleRange", "needs Abstractions 2", []));
    }
}
