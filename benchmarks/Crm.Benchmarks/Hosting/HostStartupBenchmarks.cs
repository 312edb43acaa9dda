using System.Reflection;
using BenchmarkDotNet.Attributes;
using Crm.Kernel.Hosting;
using Crm.Kernel.Plugins;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks.Hosting;

/// <summary>
/// Start-up of a host: configure the kernel, build the container and resolve the kernel, without plug-ins (baseline)
/// and loading every shipped plug-in from the folder the build publishes them to (each in a new load context).
/// </summary>
[MemoryDiagnoser]
public class HostStartupBenchmarks
{
    private string _plugins = "";

    [GlobalSetup]
    public void FindPlugins()
    {
        // The build copies plugins/*/ beside Crm.Benchmarks.dll; BenchmarkDotNet runs from its own folder, so the
        // path is baked in at build time.
        _plugins = typeof(HostStartupBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "CrmPluginsFolder").Value!;
        var report = Start(withPlugins: true);
        if (report is null || report.Loaded.Count == 0 || report.Skipped.Count > 0)
        {
            throw new InvalidOperationException($"Expected every shipped plug-in in '{_plugins}' to load:\n{report}");
        }

        Console.WriteLine($"// shipped plug-ins loaded: {string.Join(", ", report.Loaded.Select(p => p.Id))}");
    }

    [Benchmark(Baseline = true, Description = "kernel, no plug-ins")]
    public object? KernelOnly() => Start(withPlugins: false);

    [Benchmark(Description = "kernel + all shipped plug-ins from plugins/")]
    public object? KernelWithShippedPlugins() => Start(withPlugins: true);

    private PluginLoadReport? Start(bool withPlugins)
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm =>
        {
            crm.UseInMemoryStore();
            if (withPlugins)
            {
                crm.AddPluginsFrom(_plugins);
            }
        });
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<CrmKernel>();
        return provider.GetService<PluginLoadReport>();
    }
}
