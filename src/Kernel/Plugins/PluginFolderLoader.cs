using System.Reflection;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using NuGet.Versioning;

namespace Crm.Kernel.Plugins;

/// <summary>
/// Loads every <c>&lt;folder&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c> that has a valid <c>plugin.json</c>, each in its own
/// load context that shares only the contract assemblies with the host, and runs its one <see cref="ICrmPlugin"/>.
/// Each failure becomes a <see cref="SkippedPlugin"/>; nothing is thrown for a broken plug-in.
/// </summary>
internal static class PluginFolderLoader
{
    /// <summary>
    /// The types whose assemblies the host and every plug-in share: the contract, time, and the DI/options/logging
    /// abstractions that cross the boundary. Everything else a plug-in brings stays private to it.
    /// </summary>
    internal static readonly Type[] SharedTypes =
    [
        typeof(ICrmPlugin),                                                  // Crm.Abstractions
        typeof(NodaTime.Instant),                                            // NodaTime
        typeof(IServiceCollection),                                          // Microsoft.Extensions.DependencyInjection.Abstractions
        typeof(Microsoft.Extensions.Logging.ILogger),                        // Microsoft.Extensions.Logging.Abstractions
        typeof(Microsoft.Extensions.Options.IOptions<>),                     // Microsoft.Extensions.Options
        typeof(Microsoft.Extensions.Primitives.IChangeToken),                // Microsoft.Extensions.Primitives
        typeof(Microsoft.Extensions.Hosting.IHostedService),                 // Microsoft.Extensions.Hosting.Abstractions
    ];

    /// <summary>The running <c>Crm.Abstractions</c> version that manifests' ranges are checked against (its assembly version, major.minor.patch).</summary>
    internal static NuGetVersion RunningAbstractionsVersion
    {
        get
        {
            var version = typeof(ICrmPlugin).Assembly.GetName().Version ?? new Version(0, 0, 0);
            return new NuGetVersion(version.Major, version.Minor, Math.Max(version.Build, 0));
        }
    }

    public static void LoadAll(string folder, IServiceCollection services, PluginLoadReport report)
    {
        // A relative folder means "beside the application", where the build publishes plug-ins, not the current directory.
        var root = Path.GetFullPath(folder, AppContext.BaseDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException(
                $"The plug-in folder '{root}' does not exist. Create it (one sub-folder per plug-in: <Name>/<Name>.dll + plugin.json) or pass the folder the build publishes plug-ins to.");
        }

        var directories = Directory.GetDirectories(root);
        Array.Sort(directories, StringComparer.Ordinal);   // a stable order decides which of two same-id plug-ins wins
        foreach (var directory in directories)
        {
            LoadOne(directory, services, report);
        }
    }

    private static void LoadOne(string directory, IServiceCollection services, PluginLoadReport report)
    {
        var name = Path.GetFileName(directory);
        var assemblyPath = Path.Combine(directory, name + ".dll");
        if (!File.Exists(assemblyPath))
        {
            report.Add(new SkippedPlugin(directory, PluginSkipReason.MissingAssembly,
                $"no '{name}.dll' in the folder; a plug-in folder is named after its entry assembly"));
            return;
        }

        var manifestPath = Path.Combine(directory, PluginManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.MissingManifest,
                $"no {PluginManifest.FileName} beside the assembly; add one with id, version, abstractions and provides"));
            return;
        }

        PluginManifest manifest;
        try
        {
            manifest = PluginManifest.Parse(File.ReadAllText(manifestPath));
        }
        catch (PluginManifestException error)
        {
            report.Add(new SkippedPlugin(manifestPath, PluginSkipReason.MalformedManifest, error.Message));
            return;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            report.Add(new SkippedPlugin(manifestPath, PluginSkipReason.MalformedManifest, $"{PluginManifest.FileName} cannot be read: {error.Message}"));
            return;
        }

        var running = RunningAbstractionsVersion;
        if (!manifest.Abstractions.Satisfies(running))
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.IncompatibleAbstractions,
                $"needs Crm.Abstractions {manifest.Abstractions.OriginalString ?? manifest.Abstractions.ToNormalizedString()} but the host runs {running}; rebuild the plug-in against this version or use a host that matches",
                manifest.Id));
            return;
        }

        var first = report.Loaded.FirstOrDefault(p => string.Equals(p.Id, manifest.Id, StringComparison.Ordinal));
        if (first is not null)
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.DuplicateId,
                $"id '{manifest.Id}' is already loaded from {first.Path}; remove one of the two or give it another id", manifest.Id));
            return;
        }

        Type[] entryTypes;
        PluginLoader loader;
        try
        {
            loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config => config.PreferSharedTypes = false);
            var assembly = loader.LoadDefaultAssembly();
            entryTypes = assembly.GetExportedTypes()
                .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICrmPlugin).IsAssignableFrom(t))
                .ToArray();
        }
        catch (Exception error) when (error is IOException or BadImageFormatException or ReflectionTypeLoadException or TypeLoadException)
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.LoadFailed,
                $"the assembly or a dependency could not be loaded: {error.GetType().Name}: {error.Message}", manifest.Id));
            return;
        }

        if (entryTypes.Length == 0)
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.NoEntryPoint,
                $"no public class implements {nameof(ICrmPlugin)} (from Crm.Abstractions {running}); add one, and reference Crm.Abstractions with its runtime assets excluded so the host's copy is used",
                manifest.Id));
            return;
        }

        if (entryTypes.Length > 1)
        {
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.AmbiguousEntryPoint,
                $"{entryTypes.Length} public classes implement {nameof(ICrmPlugin)} ({string.Join(", ", entryTypes.Select(t => t.FullName))}); a plug-in has exactly one",
                manifest.Id));
            return;
        }

        var entryType = entryTypes[0];
        try
        {
            var plugin = (ICrmPlugin)Activator.CreateInstance(entryType)!;
            CrmPluginContext.Apply(plugin, services);
        }
        catch (Exception error)
        {
            var cause = error is TargetInvocationException { InnerException: { } inner } ? inner : error;
            report.Add(new SkippedPlugin(assemblyPath, PluginSkipReason.ConfigureFailed,
                $"{entryType.FullName} failed to configure, nothing of it was registered: {cause.GetType().Name}: {cause.Message}",
                manifest.Id));
            return;
        }

        report.KeepAlive(loader);
        report.Add(new LoadedPlugin(manifest.Id, manifest.Version, assemblyPath, entryType.FullName!, manifest.Provides));
    }
}
