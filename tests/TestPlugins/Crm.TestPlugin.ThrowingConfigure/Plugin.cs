using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.ThrowingConfigure;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-throwing", "Crm.TestPlugin.ThrowingConfigure", "throws", []));
        context.Services.AddSingleton(new ThrowingMarker());
        throw new InvalidOperationException("the plug-in cannot find its licence key");
    }
}
public sealed class ThrowingMarker;
