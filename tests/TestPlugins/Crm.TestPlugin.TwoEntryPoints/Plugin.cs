using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.TwoEntryPoints;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-two", "Crm.TestPlugin.TwoEntryPoints", "first", []));
    }
}

public sealed class SecondPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context) =>
        context.AddMethodology(new SalesMethodology("test-two-second", "Second", "second", []));
}
