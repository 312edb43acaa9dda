using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.SameId;

public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context)
    {
        context.AddMethodology(new SalesMethodology("test-same-id", "Crm.TestPlugin.SameId", "same id as Good", []));
    }
}
