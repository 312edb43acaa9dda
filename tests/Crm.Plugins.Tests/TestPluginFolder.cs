using Crm.Kernel.Hosting;
using Crm.Kernel.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Plugins.Tests;

/// <summary>The folder the build copies the real test plug-ins to, and a host that loads it.</summary>
internal static class TestPluginFolder
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "testplugins");

    /// <summary>A folder holding copies of only the named test plug-ins.</summary>
    public static string With(params string[] names)
    {
        var folder = Directory.CreateTempSubdirectory("crm-plugins-").FullName;
        foreach (var name in names)
        {
            CopyDirectory(System.IO.Path.Combine(Path, name), System.IO.Path.Combine(folder, name));
        }

        return folder;
    }

    public static (ServiceProvider Provider, PluginLoadReport Report) Load(string folder)
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm => crm.AddPluginsFrom(folder));
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<PluginLoadReport>());
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            CopyDirectory(directory, System.IO.Path.Combine(target, System.IO.Path.GetFileName(directory)));
        }
    }
}
