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
        Assert.Contains(lines, l => l.StartsWith("dotnet test Crm.Kernel.sln", StringComparison.Ordinal));
    }
}
