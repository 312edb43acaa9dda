using Microsoft.Extensions.DependencyInjection;

namespace Crm.Abstractions.Plugins;

/// <summary>
/// The one entry point of a plug-in: a class with a public parameterless constructor that registers adapters
/// (storage, telephony, mail, notification channels) and methodologies. The same class works when the plug-in is
/// loaded from <c>plugins/&lt;Name&gt;/</c> and when it is referenced as a plain package.
/// </summary>
/// <example><code>
/// public sealed class MyPlugin : ICrmPlugin
/// {
///     public void Configure(ICrmPluginContext context) =>
///         context.Services.AddSingleton&lt;INotificationChannel, MyChannel&gt;();
/// }
/// </code></example>
public interface ICrmPlugin
{
    /// <summary>Registers what the plug-in provides. Throwing here skips the plug-in with the error reported.</summary>
    void Configure(ICrmPluginContext context);
}

/// <summary>What a plug-in registers into.</summary>
public interface ICrmPluginContext
{
    /// <summary>The host's services; adapters register their port implementations here.</summary>
    IServiceCollection Services { get; }

    /// <summary>Adds a sales methodology (pipelines with goals, and more as the kernel grows).</summary>
    void AddMethodology(SalesMethodology methodology);
}

/// <summary>A sales methodology a plug-in ships: pipelines with stages, norms, goals and reactions.</summary>
/// <param name="Id">A stable id, e.g. <c>spin</c>.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Description">What the methodology is and when to use it.</param>
/// <param name="Pipelines">The pipelines it defines.</param>
public sealed record SalesMethodology(string Id, string Name, string Description, IReadOnlyList<PipelineDefinition> Pipelines);

/// <summary>
/// The builder <c>services.AddCrmKernel(crm =&gt; …)</c> passes to its callback. Adapter packages add their
/// <c>UseXxx</c> extension methods to this interface, so they need only <c>Crm.Abstractions</c>.
/// </summary>
public interface ICrmKernelBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}
