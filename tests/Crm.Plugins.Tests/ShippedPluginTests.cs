using System.Xml.Linq;
using Crm.Kernel.Plugins;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>The plug-ins under plugins/ that have a plugin.json: what the Quickstart loads and dotnet pack ships.</summary>
internal static class ShippedPlugins
{
    public static IReadOnlyList<(string Name, string Folder, PluginManifest Manifest)> All { get; } = Find();

    public static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Crm.Kernel.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Crm.Kernel.sln not found above the test's folder.");
        }

        return root;
    }

    private static List<(string, string, PluginManifest)> Find() =>
        Directory.GetDirectories(Path.Combine(RepositoryRoot(), "plugins"))
            .Where(d => File.Exists(Path.Combine(d, PluginManifest.FileName)))
            .Order(StringComparer.Ordinal)
            .Select(d => (Path.GetFileName(d), d, PluginManifest.Parse(File.ReadAllText(Path.Combine(d, PluginManifest.FileName)))))
            .ToList();
}

public sealed class ShippedPluginTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var plugin in ShippedPlugins.All)
        {
            data.Add(plugin.Name);
        }

        return data;
    }

    [Fact]
    public void The_mail_adapter_is_a_shipped_plugin() =>
        Assert.Contains(ShippedPlugins.All, p => p.Name == "Crm.Mail.MailKit" && p.Manifest.Id == "crm.mail.mailkit");

    [Theory]
    [MemberData(nameof(Names))]
    public void A_shipped_plugin_follows_the_plugin_conventions(string name)
    {
        var (_, folder, manifest) = ShippedPlugins.All.Single(p => p.Name == name);
        var project = Path.Combine(folder, name + ".csproj");
        Assert.True(File.Exists(project), $"plugins/{name}/ must hold {name}.csproj: the host looks for {name}.dll in a folder named after it.");

        var xml = XDocument.Load(project);
        string? Property(string property) => xml.Descendants(property).LastOrDefault()?.Value;
        Assert.Equal("true", Property("IsCrmPlugin"));
        Assert.Equal("true", Property("EnableDynamicLoading"));

        var references = xml.Descendants("ProjectReference").ToArray();
        var abstractions = Assert.Single(references, r => ((string)r.Attribute("Include")!).EndsWith("Crm.Abstractions.csproj", StringComparison.Ordinal));
        Assert.Equal("false", (string?)abstractions.Attribute("Private") ?? abstractions.Element("Private")?.Value);
        Assert.Equal("runtime", (string?)abstractions.Attribute("ExcludeAssets") ?? abstractions.Element("ExcludeAssets")?.Value);
        Assert.DoesNotContain(references, r => ((string)r.Attribute("Include")!).Contains("Crm.Kernel.csproj", StringComparison.Ordinal));

        Assert.True(manifest.Abstractions.Satisfies(PluginFolderLoaderVersion()), $"plugins/{name}/plugin.json: \"abstractions\" {manifest.Abstractions} must admit the Crm.Abstractions this repository builds.");
        Assert.NotEmpty(manifest.Provides);
    }

    [Fact]
    public void Every_shipped_plugin_loads_from_a_folder_with_no_skips()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With([.. ShippedPlugins.All.Select(p => p.Name)]));
        using (provider)
        {
            Assert.Empty(report.Skipped);
            Assert.Equal(ShippedPlugins.All.Select(p => p.Manifest.Id), report.Loaded.Select(p => p.Id));
        }
    }

    private static NuGet.Versioning.NuGetVersion PluginFolderLoaderVersion()
    {
        var version = typeof(Crm.Abstractions.Plugins.ICrmPlugin).Assembly.GetName().Version!;
        return new NuGet.Versioning.NuGetVersion(version.Major, version.Minor, version.Build);
    }
}
