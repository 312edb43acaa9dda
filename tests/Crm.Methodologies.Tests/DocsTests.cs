using System.Text.RegularExpressions;
using Crm.Abstractions.Plugins;
using Crm.Methodology.Dealer;
using Crm.Methodology.Saas;
using Crm.Methodology.Spin;
using Crm.Methodology.Tenders;
using Xunit;

namespace Crm.Methodologies.Tests;

/// <summary>The methodology guide quotes real plug-in code, and every shipped methodology has its page.</summary>
public sealed class DocsTests
{
    public static TheoryData<string> Regions => new() { "plugin", "stage" };

    [Theory]
    [MemberData(nameof(Regions))]
    public void Guide_quotes_the_spin_plugin_region_verbatim(string region)
    {
        var root = RepositoryRoot();
        var source = File.ReadAllText(Path.Combine(root, "plugins", "Crm.Methodology.Spin", "SpinPlugin.cs")).ReplaceLineEndings("\n");
        var guide = File.ReadAllText(Path.Combine(root, "docs", "methodologies.md")).ReplaceLineEndings("\n");

        var code = Regex.Match(source, $@"// DOCS-BEGIN {region}[^\n]*\n(.*?)\n[ ]*// DOCS-END {region}", RegexOptions.Singleline).Groups[1].Value;

        Assert.NotEmpty(code);
        Assert.Contains(Dedent(code), guide, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_shipped_methodology_has_a_page_naming_its_stages_rules_and_templates()
    {
        var root = RepositoryRoot();
        foreach (var methodology in new[] { SpinPlugin.Methodology, TendersPlugin.Methodology, DealerPlugin.Methodology, SaasPlugin.Methodology })
        {
            var page = File.ReadAllText(Path.Combine(root, "docs", "methodologies", methodology.Id + ".md"));
            foreach (var name in Names(methodology))
            {
                Assert.True(page.Contains($"`{name}`", StringComparison.Ordinal), $"docs/methodologies/{methodology.Id}.md does not mention `{name}`.");
            }
        }
    }

    private static IEnumerable<string> Names(SalesMethodology methodology)
    {
        foreach (var stage in methodology.Pipelines.SelectMany(p => p.Stages))
        {
            yield return stage.Id.Value;
        }

        foreach (var document in methodology.ProcessTemplates)
        {
            yield return Crm.Kernel.Processes.ProcessTemplateJson.Load(document.Json).Id;
        }

        foreach (var document in methodology.Rules)
        {
            yield return Crm.Kernel.Rules.RuleJson.Load(document.Json).Id;
        }
    }

    private static string Dedent(string code)
    {
        var lines = code.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Crm.Kernel.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Crm.Kernel.sln not found above " + AppContext.BaseDirectory);
    }
}
