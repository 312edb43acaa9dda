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

    /// <summary>
    /// Adds a business rule that runs for every tenant (rules stored per tenant come from <c>session.Rules.DefineAsync</c>).
    /// Code rules may use <see cref="Crm.Kernel.Rules.CodeCondition"/>.
    /// </summary>
    /// <exception cref="Crm.Abstractions.CrmValidationException">The rule is invalid.</exception>
    public CrmKernelBuilder AddRule(Crm.Kernel.Rules.RuleDefinition rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Crm.Kernel.Rules.RuleValidation.Validate(rule, "$");
        Services.AddSingleton(rule);
        return this;
    }

    /// <summary>Configures <see cref="CrmKernelOptions"/>.</summary>
    public CrmKernelBuilder Configure(Action<CrmKernelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Adds a plug-in referenced as a plain package: runs its <see cref="ICrmPlugin.Configure"/> now, copying its
    /// registrations into <see cref="Services"/> only if it returns; methodologies it adds are resolvable as
    /// <c>IEnumerable&lt;SalesMethodology&gt;</c> and installed per tenant with
    /// <c>session.Methodologies.InstallAsync(id)</c>. An exception from the plug-in propagates, with nothing registered.
    /// </summary>
    public CrmKernelBuilder AddPlugin(ICrmPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        CrmPluginContext.Apply(plugin, Services);
        return this;
    }
}
