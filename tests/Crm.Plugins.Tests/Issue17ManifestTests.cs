using Crm.Kernel.Plugins;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>Issue 17 §2: a plugin.json the reader cannot take must never stop the host.</summary>
public sealed class Issue17ManifestTests
{
    private const string UnpairedSurrogateId = """{ "id": "crm\uDC00", "version": "1.2.3", "abstractions": "[0.1.0, )", "provides": ["methodology:test.good"] }""";

    /// <summary>Guards: an unpaired surrogate escape made System.Text.Json throw InvalidOperationException out of Parse.</summary>
    [Fact]
    public void Issue17_an_unpaired_surrogate_escape_is_a_manifest_error()
    {
        var error = Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(UnpairedSurrogateId));
        Assert.Contains("plugin.json", error.Message);
    }

    /// <summary>Guards: the same manifest threw out of AddPluginsFrom, so the host did not start.</summary>
    [Fact]
    public void Issue17_AddPluginsFrom_skips_a_plugin_whose_manifest_holds_an_unpaired_surrogate_and_loads_the_others()
    {
        var folder = TestPluginFolder.With("Crm.TestPlugin.Good", "Crm.TestPlugin.MissingManifest");
        Directory.Move(Path.Combine(folder, "Crm.TestPlugin.MissingManifest"), Path.Combine(folder, "Broken"));
        File.Move(Path.Combine(folder, "Broken", "Crm.TestPlugin.MissingManifest.dll"), Path.Combine(folder, "Broken", "Broken.dll"));
        File.WriteAllText(Path.Combine(folder, "Broken", PluginManifest.FileName), UnpairedSurrogateId);

        var (provider, report) = TestPluginFolder.Load(folder);
        using (provider)
        {
            var skipped = Assert.Single(report.Skipped);
            Assert.Equal(PluginSkipReason.MalformedManifest, skipped.Reason);
            Assert.EndsWith(Path.Combine("Broken", "plugin.json"), skipped.Path);
            Assert.Equal("test.good", Assert.Single(report.Loaded).Id);
        }
    }

    /// <summary>Guards: other text the store or a log cannot keep (NUL, a control character) in a manifest's strings.</summary>
    [Theory]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": ["mail\u0000"] }""")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": ["\uD800"] }""")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0\uDFFF", "abstractions": "[0.1.0, )", "provides": ["mail"] }""")]
    public void Issue17_invalid_text_anywhere_in_a_manifest_is_a_manifest_error(string json)
    {
        Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(json));
    }
}
