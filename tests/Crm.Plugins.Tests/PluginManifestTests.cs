using Crm.Kernel.Plugins;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NuGet.Versioning;
using Xunit;

namespace Crm.Plugins.Tests;

public sealed class PluginManifestTests
{
    [Fact]
    public void A_manifest_parses_into_typed_fields()
    {
        var manifest = PluginManifest.Parse("""{ "id": "crm.methodology.spin", "version": "0.1.0", "abstractions": "[0.1.0, 1.0.0)", "provides": ["methodology:spin"] }""");

        Assert.Equal("crm.methodology.spin", manifest.Id);
        Assert.Equal(new NuGetVersion(0, 1, 0), manifest.Version);
        Assert.True(manifest.Abstractions.Satisfies(new NuGetVersion(0, 9, 9)));
        Assert.False(manifest.Abstractions.Satisfies(new NuGetVersion(1, 0, 0)));
        Assert.Equal(["methodology:spin"], manifest.Provides);
    }

    [Theory]
    [InlineData("""[]""", "must be a JSON object")]
    [InlineData("""{ "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": [] }""", "\"id\" is missing")]
    [InlineData("""{ "id": "Has Spaces", "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": [] }""", "\"id\" 'Has Spaces' must be lower-case")]
    [InlineData("""{ "id": "a.b", "version": "one", "abstractions": "[0.1.0, )", "provides": [] }""", "\"version\" 'one' is not a version")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[zero, one)", "provides": [] }""", "\"abstractions\" '[zero, one)' is not a NuGet version range")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[0.1.0, )" }""", "\"provides\" is missing")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": "mail" }""", "\"provides\" must be an array")]
    [InlineData("""{ "id": "a.b", "version": "0.1.0", "abstractions": "[0.1.0, )", "provides": [1] }""", "\"provides\" must hold non-empty strings")]
    [InlineData("""{ "id": "a.b", """, "not valid JSON")]
    public void A_bad_manifest_names_the_field_and_the_fix(string json, string expected)
    {
        var error = Assert.Throws<PluginManifestException>(() => PluginManifest.Parse(json));
        Assert.Contains(expected, error.Message);
    }

    [Property]
    public Property A_written_manifest_reads_back(PositiveInt major, NonNegativeInt minor, NonNegativeInt patch, NonEmptyString provided)
    {
        var version = new NuGetVersion(major.Get, minor.Get, patch.Get);
        var provides = "adapter:" + provided.Get;   // any text after a non-blank prefix
        var json = System.Text.Json.JsonSerializer.Serialize(new
        {
            id = $"p{major.Get}.x-{minor.Get}",
            version = version.ToNormalizedString(),
            abstractions = $"[{version.ToNormalizedString()}, {major.Get + 1}.0.0)",
            provides = new[] { provides },
        });

        var manifest = PluginManifest.Parse(json);
        return (manifest.Version == version
                && manifest.Abstractions.Satisfies(version)
                && !manifest.Abstractions.Satisfies(new NuGetVersion(major.Get + 1, 0, 0))
                && manifest.Provides.SequenceEqual([provides]))
            .Label(json);
    }
}
