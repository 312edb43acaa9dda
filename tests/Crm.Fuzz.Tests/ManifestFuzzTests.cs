using System.Text;
using Crm.Kernel.Hosting;
using Crm.Kernel.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Crm.Fuzz.Tests;

/// <summary>R3: plugin.json manifests; the reader throws only PluginManifestException, and a host never fails to start.</summary>
public sealed class ManifestFuzzTests(ITestOutputHelper output)
{
    private static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private const string Valid = """{ "id": "crm.fuzz", "version": "1.0.0", "abstractions": "[0.1.0, )", "provides": ["methodology:fuzz"] }""";

    private static string Manifest(HostileInput input)
    {
        string Str() => input.Random.Next(4) switch
        {
            0 => "\"crm.fuzz\"",
            1 => "\"" + Escape(input.Text()) + "\"",
            2 => input.Pick("\"\\uDC00\"", "\"crm\\uDC00\"", "\"\\uD800x\"", "\"\\u0000\"", "\"\\u202Ecrm\"", "\"\\ud83d\\ude00\"", "\"\\x41\"", "\"\\u12\""),
            _ => input.Pick("1", "null", "true", "[]", "{}", input.JsonNumber()),
        };

        var roll = input.Random.Next(10);
        if (roll == 0)
        {
            return input.Text();
        }

        if (roll == 1)
        {
            var depth = input.Random.Next(10, 1000);
            return "{\"id\":" + new string('[', depth) + new string(']', depth) + "}";
        }

        if (roll == 2)
        {
            // Byte-level damage of a valid manifest.
            var chars = Valid.ToCharArray();
            for (var i = 0; i < input.Random.Next(1, 5); i++)
            {
                chars[input.Random.Next(chars.Length)] = (char)input.Random.Next(0, 0x10000);
            }

            return new string(chars);
        }

        var fields = new List<string>
        {
            $"\"id\": {Str()}",
            $"\"version\": {input.Pick("\"1.0.0\"", "\"1.0.0-beta\"", "\"99999999999999999999.0.0\"", Str())}",
            $"\"abstractions\": {input.Pick("\"[0.1.0, )\"", "\"[2.0.0, 3.0.0)\"", "\"(,)\"", Str())}",
            $"\"provides\": {input.Pick("[\"methodology:fuzz\"]", "[]", $"[{Str()}]", $"[{Str()}, {Str()}]", Str())}",
        };
        if (input.Chance(20))
        {
            fields.Add(fields[input.Random.Next(fields.Count)]); // duplicate keys
        }

        if (input.Chance(10))
        {
            fields.Add($"\"extra\": {input.JsonNumber()}");
        }

        return "{" + string.Join(",", fields.OrderBy(_ => input.Random.Next())) + (input.Chance(5) ? "," : "") + "}";
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '"' or '\\' || char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    [Fact]
    public void Manifest_text()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "plugin.json"));
        var tally = new FuzzTally("plugin.json (PluginManifest.Parse)", output);
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var json = Manifest(input);
            tally.Run(() =>
            {
                try
                {
                    PluginManifest.Parse(json);
                    return true;
                }
                catch (PluginManifestException)
                {
                    return false;
                }
            }, FuzzTally.Cut(json));
        }

        tally.AssertClean();
    }

    [Fact]
    public void Manifests_in_a_plugin_folder_never_stop_the_host()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "plugin folder"));
        var tally = new FuzzTally("plugin.json (AddPluginsFrom)", output);
        var folder = Directory.CreateTempSubdirectory("crm-fuzz-plugins-").FullName;
        try
        {
            // One host loading a folder of plug-ins with hostile manifests, a few hundred at a time.
            // The slow path (a folder per plug-in, a host per batch) gets a quarter of the inputs.
            var remaining = Math.Max(1, FuzzSettings.Inputs / 4);
            var batch = 0;
            while (remaining > 0)
            {
                var count = Math.Min(remaining, 250);
                remaining -= count;
                var batchFolder = Path.Combine(folder, "batch" + batch++);
                for (var i = 0; i < count; i++)
                {
                    var name = "Fuzz" + i;
                    Directory.CreateDirectory(Path.Combine(batchFolder, name));
                    File.WriteAllBytes(Path.Combine(batchFolder, name, name + ".dll"), [0x4D, 0x5A]);
                    // Lone surrogates cannot be written as UTF-8: they become U+FFFD, as any editor would write them.
                    File.WriteAllBytes(Path.Combine(batchFolder, name, PluginManifest.FileName), Lenient.GetBytes(Manifest(input)));
                }

                tally.Run(() =>
                {
                    var services = new ServiceCollection();
                    services.AddCrmKernel(crm => crm.AddPluginsFrom(batchFolder));
                    using var provider = services.BuildServiceProvider();
                    var report = provider.GetRequiredService<PluginLoadReport>();
                    if (report.Skipped.Count != count)
                    {
                        throw new InvalidOperationException($"{count} broken plug-ins, {report.Skipped.Count} reported skipped");
                    }

                    return false;
                }, $"batch of {count}", count);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        tally.AssertClean();
    }
}
