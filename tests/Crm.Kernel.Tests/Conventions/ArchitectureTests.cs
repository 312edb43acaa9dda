using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

/// <summary>Cheap guards of the architecture.</summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Abstractions = typeof(Crm.Abstractions.Money).Assembly;
    private static readonly Assembly Kernel = typeof(Crm.Kernel.Hosting.CrmKernel).Assembly;

    [Fact]
    public void Abstractions_references_no_engine()
    {
        var allowed = new[] { "System.", "Microsoft.Extensions.DependencyInjection.Abstractions", "NodaTime", "netstandard", "mscorlib" };
        var references = Abstractions.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.All(references, name => Assert.True(allowed.Any(a => name == a || name.StartsWith(a, StringComparison.Ordinal) || name == "System"), $"Crm.Abstractions references {name}"));
    }

    [Fact]
    public void Public_classes_are_sealed_unless_abstract()
    {
        var unsealed = Kernel.GetExportedTypes().Concat(Abstractions.GetExportedTypes())
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract && !typeof(Exception).IsAssignableFrom(t))
            .Select(t => t.FullName)
            .ToArray();
        Assert.Empty(unsealed);
    }

    [Fact]
    public void Product_code_never_reads_the_wall_clock()
    {
        var root = RepositoryRoot();
        var offenders = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.Exists(Path.Combine(root, "plugins")) ? Directory.EnumerateFiles(Path.Combine(root, "plugins"), "*.cs", SearchOption.AllDirectories) : [])
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"DateTime(Offset)?\.(Now|UtcNow|Today)\b"))
            .ToArray();
        Assert.Empty(offenders);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Crm.Kernel.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Crm.Kernel.sln not found above " + AppContext.BaseDirectory);
    }
}
