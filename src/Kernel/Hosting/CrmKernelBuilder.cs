using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Kernel.Hosting;

/// <summary>Configures the kernel inside <c>services.AddCrmKernel(crm =&gt; …)</c>; adapters add <c>UseXxx</c> methods to it.</summary>
public sealed class CrmKernelBuilder : ICrmKernelBuilder
{
    internal CrmKernelBuilder(IServiceCollection services) => Services = services;

    /// <inheritdoc />
    public IServiceCollection Services { get; }

    /// <summary>Configures <see cref="CrmKernelOptions"/>.</summary>
    public CrmKernelBuilder Configure(Action<CrmKernelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }
}
