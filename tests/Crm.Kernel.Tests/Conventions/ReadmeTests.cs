using System.Text.RegularExpressions;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

public sealed class ReadmeTests
{
    [Fact]
    public void Readme_embedding_example_is_the_compiled_sample()
    {
        var root = ArchitectureTests.RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var sample = File.ReadAllText(Path.Combine(root, "samples", "Crm.Samples.Embedding", "Program.cs")).ReplaceLineEndings("\n");

        var snippet = Regex.Match(readme, "## Embed it\n\n```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var compiled = Regex.Match(sample, "// README-BEGIN\n(.*?)// README-END", RegexOptions.Singleline).Groups[1].Value;

        Assert.NotEmpty(snippet);
        Assert.Equal(snippet, compiled);
    }

    [Fact]
    public void Readme_starts_with_the_two_commands()
    {
        var lines = File.ReadLines(Path.Combine(ArchitectureTests.RepositoryRoot(), "README.md")).Take(6).ToArray();
        Assert.Contains(lines, l => l.StartsWith("dotnet run --project samples/Crm.Samples.Quickstart", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("bash eng/test.sh", StringComparison.Ordinal));
    }

    /// <summary>Issue 18: CI runs the README's test command itself, which installs and starts what the suite needs.</summary>
    [Fact]
    public void Issue18_ci_runs_the_readmes_test_command_and_it_prepares_the_machine()
    {
        var root = ArchitectureTests.RepositoryRoot();
        var ci = File.ReadAllText(Path.Combine(root, ".ci", "run"));
        var script = File.ReadAllText(Path.Combine(root, "eng", "test.sh"));

        Assert.Contains("bash eng/test.sh", ci, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^[^#\n]*dotnet test", RegexOptions.Multiline), ci);   // no second test command
        Assert.Contains("apt-get install", script, StringComparison.Ordinal);
        Assert.Contains("postfix", script, StringComparison.Ordinal);
        Assert.Contains("postgresql", script, StringComparison.Ordinal);
        Assert.Contains("eng/postgres.sh start", script, StringComparison.Ordinal);
        Assert.Matches(@"dotnet test Crm\.Kernel\.sln --blame-hang-timeout", script);
    }
}
