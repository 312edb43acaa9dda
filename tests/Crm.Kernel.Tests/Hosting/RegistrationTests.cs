using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Crm.Kernel.Tests.Hosting;

public sealed class RegistrationTests
{
    [Fact]
    public void Calling_AddCrmKernel_twice_registers_once()
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm => crm.UseInMemoryStore());
        var count = services.Count;
        services.AddCrmKernel(crm => crm.UseInMemoryStore());
        Assert.Equal(count, services.Count);
    }

    [Fact]
    public void Missing_store_is_explained()
    {
        using var provider = new ServiceCollection().AddCrmKernel().Services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<CrmKernel>());
        Assert.Contains("UseSqlite", error.Message);
    }

    [Fact]
    public void Bad_options_name_the_option()
    {
        using var provider = new ServiceCollection()
            .AddCrmKernel(crm => crm.UseInMemoryStore().Configure(o => { o.MaxReactionDepth = 0; o.DefaultPhoneRegion = "XX"; o.ConsumerLease = NodaTime.Duration.FromMilliseconds(10); }))
            .Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<CrmKernel>());
        Assert.Contains("MaxReactionDepth", error.Message);
        Assert.Contains("DefaultPhoneRegion", error.Message);
        Assert.Contains("ConsumerLease must be at least 1 second", error.Message);
    }

    [Fact]
    public async Task Two_kernels_in_one_process_do_not_share_data()
    {
        using var a = new ServiceCollection().AddCrmKernel(crm => crm.UseInMemoryStore()).Services.BuildServiceProvider();
        using var b = new ServiceCollection().AddCrmKernel(crm => crm.UseInMemoryStore()).Services.BuildServiceProvider();
        var tenant = new TenantId("t");
        await a.GetRequiredService<CrmKernel>().InitializeTenantAsync(tenant, new UserId("admin"), "A");
        Assert.Empty(await a.GetRequiredService<CrmKernel>().OpenSession(tenant, new UserId("admin")).Deals.ListAsync());
        await Assert.ThrowsAsync<AccessDeniedException>(() => b.GetRequiredService<CrmKernel>().OpenSession(tenant, new UserId("admin")).Deals.ListAsync());
    }
}
