using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Kernel.Hosting;

/// <summary>
/// The context a plug-in configures into: registrations go to a temporary collection and are copied to the host's
/// services only when <see cref="ICrmPlugin.Configure"/> returns, so a throwing plug-in leaves nothing behind.
/// </summary>
internal sealed class CrmPluginContext : ICrmPluginContext
{
    private readonly List<SalesMethodology> _methodologies = [];

    public IServiceCollection Services { get; } = new ServiceCollection();

    public IReadOnlyList<SalesMethodology> Methodologies => _methodologies;

    public void AddMethodology(SalesMethodology methodology)
    {
        ArgumentNullException.ThrowIfNull(methodology);
        _methodologies.Add(methodology);
    }

    /// <summary>Runs the plug-in and, on success, copies its registrations and methodologies into <paramref name="target"/>.</summary>
    public static void Apply(ICrmPlugin plugin, IServiceCollection target)
    {
        var context = new CrmPluginContext();
        plugin.Configure(context);
        foreach (var descriptor in context.Services)
        {
            target.Add(descriptor);
        }

        foreach (var methodology in context._methodologies)
        {
            target.AddSingleton(methodology);
        }
    }
}
