using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Crm.Packaging.Tests;

/// <summary>
/// Issue 19 (point 6): package versions come from git tags (MinVer), in a throwaway git repository made from a copy of
/// the sources; the repository's own tags are never touched.
/// </summary>
public sealed class VersionFromTagsTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Guards the MinVer settings in Directory.Build.props: no tag gives 0.2.0-alpha.0.height, a tag gives its version,
    /// a commit after the tag a higher prerelease (so a re-pack never reuses a cached version), and the assembly version
    /// keeps major.minor.patch for the plug-in loader's range check.
    /// </summary>
    [Fact]
    public void Issue19_versions_come_from_git_tags()
    {
        var work = Directory.CreateTempSubdirectory("crm-minver-").FullName;
        try
        {
            var source = PackedFeed.CopyRepository(PackedFeed.RepositoryRoot(), Path.Combine(work, "repo"));
            Git(source, "init", "-q");
            Git(source, "add", "-A");
            Git(source, "commit", "-q", "-m", "first");
            Assert.Equal(("0.2.0-alpha.0", "0.2.0.0"), Versions(source, restore: true));   // no tag: the minimum 0.2, height 0

            Git(source, "commit", "-q", "--allow-empty", "-m", "second");
            Assert.Equal(("0.2.0-alpha.0.1", "0.2.0.0"), Versions(source));   // one commit later: a new version

            Git(source, "tag", "v0.3.0");
            Assert.Equal(("0.3.0", "0.3.0.0"), Versions(source));

            Git(source, "commit", "-q", "--allow-empty", "-m", "third");
            Assert.Equal(("0.3.1-alpha.0.1", "0.3.1.0"), Versions(source));
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file for a moment; the folder is under the temp directory.
            }
        }
    }

    /// <summary>Crm.Abstractions' package and assembly versions after MinVer ran (no compilation).</summary>
    private static (string Package, string Assembly) Versions(string source, bool restore = false)
    {
        var output = DotNet.Run(source, StepTimeout, "msbuild", Path.Combine(source, "src", "Abstractions", "Crm.Abstractions.csproj"),
            restore ? "-restore" : "-nologo", "-t:MinVer", "-getProperty:PackageVersion", "-getProperty:AssemblyVersion", "-nologo");
        var json = output[output.IndexOf('{', StringComparison.Ordinal)..];
        var properties = JsonDocument.Parse(json).RootElement.GetProperty("Properties");
        return (properties.GetProperty("PackageVersion").GetString()!, properties.GetProperty("AssemblyVersion").GetString()!);
    }

    private static void Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} exited with {process.ExitCode}: {error}{output.Result}");
        }
    }
}
