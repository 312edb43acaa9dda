using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using Crm.Kernel.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>crm.AddPluginsFrom over real plug-in assemblies that this build compiled from tests/TestPlugins.</summary>
public sealed class PluginFolderTests
{
    private static string EntryAssembly(string name) => Path.Combine(name, name + ".dll");

    [Fact]
    public void A_good_plugin_loads_and_its_methodology_resolves_as_the_hosts_type()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.Good"));
        using (provider)
        {
            var loaded = Assert.Single(report.Loaded);
            Assert.Equal("test.good", loaded.Id);
            Assert.Equal("1.2.3", loaded.Version.ToNormalizedString());
            Assert.Equal(["methodology:test.good"], loaded.Provides);
            Assert.Equal("Crm.TestPlugin.Good.TestPlugin", loaded.EntryType);
            Assert.EndsWith(EntryAssembly("Crm.TestPlugin.Good"), loaded.Path);
            Assert.Empty(report.Skipped);

            // Resolvable as the host's SalesMethodology only because Crm.Abstractions is shared, not loaded twice.
            var methodology = Assert.Single(provider.GetServices<SalesMethodology>());
            Assert.Equal("test-good", methodology.Id);
        }
    }

    [Fact]
    public void The_whole_test_folder_loads_the_good_plugins_and_skips_each_broken_one_with_its_reason()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.Path);
        using (provider)
        {
            string[] expected = ["crm.samples.log-channel", "test.action-handler", "test.good", "test.json12", "test.json13", .. ShippedPlugins.All.Select(p => p.Manifest.Id)];
            Assert.Equal(expected.Order(StringComparer.Ordinal), report.Loaded.Select(p => p.Id).Order(StringComparer.Ordinal));
            var reasons = report.Skipped.ToDictionary(s => Path.GetFileName(Path.GetDirectoryName(s.Path)!), s => s.Reason);
            Assert.Equal(
                new Dictionary<string, PluginSkipReason>
                {
                    ["Crm.TestPlugin.IncompatibleRange"] = PluginSkipReason.IncompatibleAbstractions,
                    ["Crm.TestPlugin.MalformedManifest"] = PluginSkipReason.MalformedManifest,
                    ["Crm.TestPlugin.MissingManifest"] = PluginSkipReason.MissingManifest,
                    ["Crm.TestPlugin.NoEntryPoint"] = PluginSkipReason.NoEntryPoint,
                    ["Crm.TestPlugin.SameId"] = PluginSkipReason.DuplicateId,
                    ["Crm.TestPlugin.ThrowingConfigure"] = PluginSkipReason.ConfigureFailed,
                    ["Crm.TestPlugin.TwoEntryPoints"] = PluginSkipReason.AmbiguousEntryPoint,
                },
                reasons);
            Assert.Equal(
                ["test-good", "test-json12", "test-json13"],
                provider.GetServices<SalesMethodology>().Select(m => m.Id).Where(id => id.StartsWith("test-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void A_missing_manifest_is_reported_with_the_assembly_path()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.MissingManifest"));
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.MissingManifest, skipped.Reason);
            Assert.EndsWith(EntryAssembly("Crm.TestPlugin.MissingManifest"), skipped.Path);
            Assert.Contains("plugin.json", skipped.Message);
            Assert.Empty(report.Loaded);
            Assert.Empty(provider.GetServices<SalesMethodology>());
        }
    }

    [Fact]
    public void A_malformed_manifest_is_reported_with_the_manifest_path_and_the_parse_error()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.MalformedManifest"));
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.MalformedManifest, skipped.Reason);
            Assert.EndsWith(Path.Combine("Crm.TestPlugin.MalformedManifest", "plugin.json"), skipped.Path);
            Assert.Contains("not valid JSON", skipped.Message);
            Assert.Empty(provider.GetServices<SalesMethodology>());
        }
    }

    [Fact]
    public void An_incompatible_abstractions_range_is_reported_with_both_versions()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.IncompatibleRange"));
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.IncompatibleAbstractions, skipped.Reason);
            Assert.Equal("test.incompatible", skipped.Id);
            Assert.Contains("[2.0.0, 3.0.0)", skipped.Message);
            Assert.Contains($"host runs {typeof(ICrmPlugin).Assembly.GetName().Version!.ToString(3)}", skipped.Message);
            Assert.Empty(provider.GetServices<SalesMethodology>());
        }
    }

    [Fact]
    public void A_throwing_configure_is_reported_and_leaves_nothing_registered()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.ThrowingConfigure", "Crm.TestPlugin.Good"));
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.ConfigureFailed, skipped.Reason);
            Assert.EndsWith(EntryAssembly("Crm.TestPlugin.ThrowingConfigure"), skipped.Path);
            Assert.Contains("InvalidOperationException: the plug-in cannot find its licence key", skipped.Message);

            // The host kept going: the plug-in after it loaded, and nothing the throwing one registered is there.
            Assert.Equal("test.good", Assert.Single(report.Loaded).Id);
            Assert.Equal(["test-good"], provider.GetServices<SalesMethodology>().Select(m => m.Id));
        }
    }

    [Fact]
    public void A_second_plugin_with_an_id_already_loaded_is_skipped_naming_the_first()
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With("Crm.TestPlugin.Good", "Crm.TestPlugin.SameId"));
        using (provider)
        {
            var loaded = Assert.Single(report.Loaded);
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.DuplicateId, skipped.Reason);
            Assert.Equal("test.good", skipped.Id);
            Assert.Contains(loaded.Path, skipped.Message);
            Assert.EndsWith("Crm.TestPlugin.SameId.dll", skipped.Path);
            Assert.Equal(["test-good"], provider.GetServices<SalesMethodology>().Select(m => m.Id));
        }
    }

    [Fact]
    public void The_same_id_across_two_folders_is_a_duplicate_and_the_report_is_one()
    {
        var services = new ServiceCollection();
        PluginLoadReport? first = null;
        services.AddCrmKernel(crm =>
        {
            crm.AddPluginsFrom(TestPluginFolder.With("Crm.TestPlugin.Good"));
            first = crm.LoadReport;
            crm.AddPluginsFrom(TestPluginFolder.With("Crm.TestPlugin.Good"));
        });
        using var provider = services.BuildServiceProvider();

        var report = provider.GetRequiredService<PluginLoadReport>();
        Assert.Same(first, report);
        Assert.Single(report.Loaded);
        Assert.Equal(PluginSkipReason.DuplicateId, Assert.Single(report.Skipped).Reason);
        Assert.Single(provider.GetServices<SalesMethodology>());
    }

    [Theory]
    [InlineData("Crm.TestPlugin.NoEntryPoint", PluginSkipReason.NoEntryPoint, "no public class implements ICrmPlugin")]
    [InlineData("Crm.TestPlugin.TwoEntryPoints", PluginSkipReason.AmbiguousEntryPoint, "2 public classes implement ICrmPlugin")]
    public void A_plugin_needs_exactly_one_entry_class(string name, PluginSkipReason reason, string message)
    {
        var (provider, report) = TestPluginFolder.Load(TestPluginFolder.With(name));
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(reason, skipped.Reason);
            Assert.EndsWith(EntryAssembly(name), skipped.Path);
            Assert.Contains(message, skipped.Message);
            Assert.Empty(provider.GetServices<SalesMethodology>());
        }
    }

    [Fact]
    public void A_relative_folder_is_read_beside_the_application()
    {
        var (provider, report) = TestPluginFolder.Load("testplugins");
        using (provider)
        {
            Assert.Contains(report.Loaded, p => p.Id == "test.good" && p.Path.StartsWith(TestPluginFolder.Path, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_folder_that_does_not_exist_fails_at_configuration_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "crm-no-such-plugins-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<DirectoryNotFoundException>(() => new ServiceCollection().AddCrmKernel(crm => crm.AddPluginsFrom(missing)));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void An_entry_assembly_that_is_not_an_assembly_is_reported_as_a_load_failure()
    {
        var folder = TestPluginFolder.With();
        var plugin = Directory.CreateDirectory(Path.Combine(folder, "Crm.Broken")).FullName;
        File.WriteAllBytes(Path.Combine(plugin, "Crm.Broken.dll"), [0x4D, 0x5A, 0x00, 0x01, 0x02, 0x03]);   // "MZ" and nothing more
        File.WriteAllText(Path.Combine(plugin, "plugin.json"), """{ "id": "test.broken", "version": "1.0.0", "abstractions": "[0.1.0, 1.0.0)", "provides": ["nothing"] }""");

        var (provider, report) = TestPluginFolder.Load(folder);
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.LoadFailed, skipped.Reason);
            Assert.Equal("test.broken", skipped.Id);
            Assert.Contains("BadImageFormatException", skipped.Message);
        }
    }

    [Fact]
    public void A_plugin_missing_its_own_dependency_is_skipped_naming_the_dependency()
    {
        var folder = TestPluginFolder.With("Crm.TestPlugin.Json13");
        File.Delete(Path.Combine(folder, "Crm.TestPlugin.Json13", "Newtonsoft.Json.dll"));

        var (provider, report) = TestPluginFolder.Load(folder);
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.ConfigureFailed, skipped.Reason);
            Assert.Contains("Newtonsoft.Json", skipped.Message);
            Assert.Empty(report.Loaded);
        }
    }

    [Fact]
    public void A_folder_without_the_entry_assembly_is_reported()
    {
        var folder = TestPluginFolder.With();
        Directory.CreateDirectory(Path.Combine(folder, "Crm.Empty"));
        var (provider, report) = TestPluginFolder.Load(folder);
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.MissingAssembly, skipped.Reason);
            Assert.Contains("Crm.Empty.dll", skipped.Message);
        }
    }
}
