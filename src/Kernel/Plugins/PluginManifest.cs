using System.Text.Json;
using System.Text.RegularExpressions;
using NuGet.Versioning;

namespace Crm.Kernel.Plugins;

/// <summary>
/// A plug-in's <c>plugin.json</c>, read from <c>plugins/&lt;Name&gt;/plugin.json</c> beside its entry assembly.
/// </summary>
/// <example><code>
/// { "id": "crm.methodology.spin", "version": "0.1.0", "abstractions": "[0.1.0, 1.0.0)", "provides": ["methodology:spin"] }
/// </code></example>
/// <param name="Id">A stable id: lower-case letters, digits, dots and dashes, e.g. <c>crm.mail.mailkit</c>. Two plug-ins with one id are not loaded together.</param>
/// <param name="Version">The plug-in's own version (SemVer 2).</param>
/// <param name="Abstractions">The NuGet version range of <c>Crm.Abstractions</c> the plug-in was built for, e.g. <c>[0.1.0, 1.0.0)</c>.</param>
/// <param name="Provides">What it provides, e.g. <c>methodology:spin</c> or <c>mail:smtp</c>; informational.</param>
internal sealed record PluginManifest(string Id, NuGetVersion Version, VersionRange Abstractions, IReadOnlyList<string> Provides)
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "plugin.json";

    private static readonly Regex IdPattern = new("^[a-z0-9]+([.-][a-z0-9]+)*$", RegexOptions.CultureInvariant);

    /// <summary>The largest manifest read, in characters.</summary>
    private const int MaxLength = 64 * 1024;

    /// <summary>Parses a manifest's text.</summary>
    /// <exception cref="PluginManifestException">The text is not JSON, or a field is missing or invalid; the message names the field.
    /// Any malformed content ends here, never in another exception: a host skips the plug-in and keeps running.</exception>
    public static PluginManifest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxLength)
        {
            throw new PluginManifestException($"is {json.Length} characters long; a manifest is at most {MaxLength}");
        }

        try
        {
            return ParseDocument(json);
        }
        catch (Exception error) when (error is InvalidOperationException or ArgumentException or FormatException or OverflowException or JsonException)
        {
            // System.Text.Json reports some malformed content (an unpaired surrogate escape such as "\uDC00") only when a value is read.
            throw new PluginManifestException($"holds content that cannot be read ({error.Message})", error);
        }
    }

    private static PluginManifest ParseDocument(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException error)
        {
            throw new PluginManifestException($"is not valid JSON ({error.Message})", error);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PluginManifestException("must be a JSON object with \"id\", \"version\", \"abstractions\" and \"provides\"");
            }

            var id = RequiredString(root, "id");
            if (!IdPattern.IsMatch(id))
            {
                throw new PluginManifestException($"\"id\" '{Validation.InputRules.Quote(id)}' must be lower-case letters and digits separated by dots or dashes, e.g. \"crm.methodology.spin\"");
            }

            var versionText = RequiredString(root, "version");
            if (!NuGetVersion.TryParse(versionText, out var version))
            {
                throw new PluginManifestException($"\"version\" '{versionText}' is not a version; write e.g. \"0.1.0\"");
            }

            var rangeText = RequiredString(root, "abstractions");
            if (!VersionRange.TryParse(rangeText, out var range))
            {
                throw new PluginManifestException($"\"abstractions\" '{rangeText}' is not a NuGet version range; write e.g. \"[0.1.0, 1.0.0)\"");
            }

            var provides = new List<string>();
            if (root.TryGetProperty("provides", out var providesElement))
            {
                if (providesElement.ValueKind != JsonValueKind.Array)
                {
                    throw new PluginManifestException("\"provides\" must be an array of strings, e.g. [\"methodology:spin\"]");
                }

                foreach (var item in providesElement.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                    {
                        throw new PluginManifestException("\"provides\" must hold non-empty strings only, e.g. [\"methodology:spin\"]");
                    }

                    var entry = item.GetString()!;
                    if (Validation.InputRules.Problem(entry, Validation.TextLimits.Attribute, required: true) is { } problem)
                    {
                        throw new PluginManifestException($"\"provides\" entry '{Validation.InputRules.Quote(entry)}' {problem.TrimEnd('.')}");
                    }

                    provides.Add(entry);
                }
            }
            else
            {
                throw new PluginManifestException("\"provides\" is missing; list what the plug-in provides, e.g. [\"methodology:spin\"]");
            }

            return new PluginManifest(id, version, range, provides);
        }
    }

    private static string RequiredString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(element.GetString()))
        {
            throw new PluginManifestException($"\"{name}\" is missing or not a non-empty string");
        }

        var value = element.GetString()!;
        if (Validation.InputRules.Problem(value, Validation.TextLimits.Attribute, required: true, singleLine: true) is { } problem)
        {
            throw new PluginManifestException($"\"{name}\" '{Validation.InputRules.Quote(value)}' {problem.TrimEnd('.')}");
        }

        return value;
    }
}

/// <summary>A <c>plugin.json</c> could not be read; the message names the field and what to write instead.</summary>
internal sealed class PluginManifestException : Crm.Abstractions.CrmException
{
    /// <summary>Creates the exception; <paramref name="problem"/> completes "plugin.json …".</summary>
    public PluginManifestException(string problem, Exception? innerException = null)
        : base($"plugin.json {problem}.", innerException)
    {
    }
}
