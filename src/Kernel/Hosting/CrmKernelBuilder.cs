using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Kernel.Hosting;

/// <summary>Configures the kernel inside <c>services.AddCrmKernel(crm =&gt; …)</c>; adapters add <c>UseXxx</c> methods to it.</summary>
public sealed class CrmKernelBuilder : ICrmKernelBuilder
{
    internal CrmKernelBuilder(IServiceCollection services) => Services = services;

    /// <inheritdoc />
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a process template (built with <c>ProcessTemplate.Create</c> or loaded with <c>ProcessTemplateJson.Load</c>).
    /// The built-in Delivery and Contract approval templates are always there; a template with the same id and a higher
    /// version becomes the one new instances start with, while running instances keep theirs.
    /// </summary>
    public CrmKernelBuilder AddProcessTemplate(Crm.Kernel.Processes.ProcessTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Services.AddSingleton(template);
        return this;
    }

    /// <summary>Configures <see cref="CrmKernelOptions"/>.</summary>
    public CrmKernelBuilder Configure(Action<CrmKernelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }
}
