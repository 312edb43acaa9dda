using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Crm.Kernel.Tests.Hosting;

public sealed class AddPluginTests
{
    private sealed class Marker;

    private sealed class GoodPlugin : ICrmPlugin
    {
        public void Configure(ICrmPluginContext context)
        {
            context.Services.AddSingleton<Marker>();
            context.AddMethodology(new SalesMethodology("test", "Test", "A test methodology.", []));
        }
    }

    private sealed class ThrowingPlugin : ICrmPlugin
    {
        public void Configure(ICrmPluginContext context)
        {
            context.Services.AddSingleton<Marker>();
            throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void A_plugin_registers_services_and_methodologies()
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm => crm.AddPlugin(new GoodPlugin()));
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetService<Marker>());
        Assert.Contains(provider.GetServices<SalesMethodology>(), m => m.Id == "test");
    }

    [Fact]
    public void A_throwing_plugin_leaves_no_registrations()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<InvalidOperationException>(() => services.AddCrmKernel(crm => crm.AddPlugin(new ThrowingPlugin())));

        Assert.Equal("boom", error.Message);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(Marker));
    }
}
