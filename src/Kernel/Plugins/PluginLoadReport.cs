using NuGet.Versioning;

namespace Crm.Kernel.Plugins;

/// <summary>
/// What <c>crm.AddPluginsFrom(folder)</c> loaded and what it skipped, and why. Registered as a singleton; resolve it
/// to show the operator which plug-ins are active. Every folder scanned adds to the same report.
/// </summary>
/// <example><code>
/// var report = provider.GetRequiredService&lt;PluginLoadReport&gt;();
/// foreach (var skipped in report.Skipped) Console.WriteLine(skipped);
/// </code></example>
/// <remarks>Filled while the kernel is configured (single-threaded); read-only afterwards.</remarks>
public sealed class PluginLoadReport
{
    internal PluginLoadReport()
    {
    }

    private readonly List<LoadedPlugin> _loaded = [];
    private readonly List<SkippedPlugin> _skipped = [];

    // The loaders of loaded plug-ins: their load contexts live as long as the report (the host's container).
    private readonly List<McMaster.NETCore.Plugins.PluginLoader> _loaders = [];

    /// <summary>The plug-ins that loaded and configured, in load order.</summary>
    public IReadOnlyList<LoadedPlugin> Loaded => _loaded;

    /// <summary>The plug-ins that were skipped, each with its path and the reason.</summary>
    public IReadOnlyList<SkippedPlugin> Skipped => _skipped;

    internal void Add(LoadedPlugin plugin) => _loaded.Add(plugin);

    internal void Add(SkippedPlugin plugin) => _skipped.Add(plugin);

    internal void KeepAlive(McMaster.NETCore.Plugins.PluginLoader loader) => _loaders.Add(loader);

    /// <summary>One line per plug-in: loaded ones first, then skipped ones with their reasons.</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, _loaded.Select(p => p.ToString()).Concat(_skipped.Select(p => p.ToString())));
}

/// <summary>A plug-in that loaded and whose <c>Configure</c> returned.</summary>
/// <param name="Id">The manifest's id.</param>
/// <param name="Version">The manifest's version.</param>
/// <param name="Path">The full path of the entry assembly.</param>
/// <param name="EntryType">The full name of the <c>ICrmPlugin</c> class that ran.</param>
/// <param name="Provides">The manifest's <c>provides</c> list.</param>
public sealed record LoadedPlugin(string Id, NuGetVersion Version, string Path, string EntryType, IReadOnlyList<string> Provides)
{
    /// <inheritdoc />
    public override string ToString() => $"loaded  {Id} {Version} ({string.Join(", ", Provides)}) from {Path}";
}

/// <summary>A plug-in that was not loaded, or loaded but failed to configure; nothing of it was registered.</summary>
/// <param name="Path">The plug-in's folder or entry assembly.</param>
/// <param name="Reason">Why, as a category.</param>
/// <param name="Message">Why, in words, with what to fix.</param>
/// <param name="Id">The manifest's id when the manifest could be read.</param>
public sealed record SkippedPlugin(string Path, PluginSkipReason Reason, string Message, string? Id = null)
{
    /// <inheritdoc />
    public override string ToString() => $"skipped {Id ?? System.IO.Path.GetFileName(Path)}: {Reason}: {Message} ({Path})";
}

/// <summary>Why a plug-in was skipped.</summary>
public enum PluginSkipReason
{
    /// <summary>The folder has no <c>&lt;Name&gt;.dll</c> named after it.</summary>
    MissingAssembly,

    /// <summary>The folder has no <c>plugin.json</c>.</summary>
    MissingManifest,

    /// <summary>The <c>plugin.json</c> is not JSON or a field is missing or invalid.</summary>
    MalformedManifest,

    /// <summary>The running <c>Crm.Abstractions</c> version is outside the manifest's <c>abstractions</c> range.</summary>
    IncompatibleAbstractions,

    /// <summary>Another plug-in with the same id was loaded first.</summary>
    DuplicateId,

    /// <summary>The assembly or one of its dependencies could not be loaded.</summary>
    LoadFailed,

    /// <summary>The assembly has no public class implementing <c>ICrmPlugin</c>.</summary>
    NoEntryPoint,

    /// <summary>The assembly has more than one public class implementing <c>ICrmPlugin</c>.</summary>
    AmbiguousEntryPoint,

    /// <summary>The plug-in class could not be created or its <c>Configure</c> threw.</summary>
    ConfigureFailed,
}
