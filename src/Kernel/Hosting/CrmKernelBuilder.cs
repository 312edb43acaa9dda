using Crm.Abstractions.Plugins;
using Crm.Kernel.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
    /// Code rules may use <see cref="Crm.Abstractions.Automation.CodeCondition"/>.
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

    /// <summary>
    /// Loads the plug-ins in <paramref name="folder"/>: every <c>&lt;Name&gt;/&lt;Name&gt;.dll</c> with a
    /// <c>plugin.json</c> (id, version, the <c>Crm.Abstractions</c> range it needs, what it provides). Each loads in its
    /// own context that shares only Crm.Abstractions, NodaTime and the Microsoft.Extensions.* abstractions with the host;
    /// its one <see cref="ICrmPlugin"/> then runs as with <see cref="AddPlugin"/>. A broken plug-in (missing or malformed
    /// manifest, incompatible range, no or several entry classes, a throwing <c>Configure</c>, an id already loaded) is
    /// skipped and recorded in the <see cref="PluginLoadReport"/> singleton with its path and the reason; the rest load.
    /// The report is logged when a generic host starts, and can be read with <see cref="LoadReport"/>.
    /// A relative <paramref name="folder"/> is taken relative to <see cref="AppContext.BaseDirectory"/> (the application's
    /// folder, where the build publishes plug-ins), not the current directory.
    /// </summary>
    /// <example><code>
    /// services.AddCrmKernel(crm =&gt; crm.UseSqlite("Data Source=crm.db").AddPluginsFrom("plugins"));
    /// </code></example>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is null or empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public CrmKernelBuilder AddPluginsFrom(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        PluginFolderLoader.LoadAll(folder, Services, LoadReport);
        return this;
    }

    /// <summary>
    /// The report of every <see cref="AddPluginsFrom"/> call on these services (empty before the first); the same
    /// instance is registered as the <see cref="PluginLoadReport"/> singleton.
    /// </summary>
    public PluginLoadReport LoadReport
    {
        get
        {
            var existing = Services.FirstOrDefault(d => d.ServiceType == typeof(PluginLoadReport) && d.ImplementationInstance is PluginLoadReport);
            if (existing is not null)
            {
                return (PluginLoadReport)existing.ImplementationInstance!;
            }

            var report = new PluginLoadReport();
            Services.AddSingleton(report);
            Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PluginLoadReportLogger>(
                sp => new PluginLoadReportLogger(sp.GetRequiredService<PluginLoadReport>(), sp.GetService<ILoggerFactory>())));
            return report;
        }
    }
}
