using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace Crm.Packaging.Tests;

/// <summary>
/// The NuGet story end to end: pack every packable project (src/, plugins/, templates/) of a copy of the repository
/// into a folder feed once (<see cref="PackedFeed"/>), then build and run a consumer app outside the repository that gets
/// the kernel only from that feed, and instantiate the dotnet new templates from the packed Crm.Templates.
/// </summary>
public sealed class PackageConsumerTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan StepTimeout = PackedFeed.StepTimeout;

    [Fact]
    public void Packed_packages_work_in_an_app_outside_the_solution()
    {
        var root = PackedFeed.RepositoryRoot();
        Assert.Contains(@"src\Abstractions\Crm.Abstractions.csproj", packed.Packable);
        Assert.Contains(@"src\Kernel\Crm.Kernel.csproj", packed.Packable);
        Assert.Contains(@"plugins\Crm.Mail.MailKit\Crm.Mail.MailKit.csproj", packed.Packable);
        Assert.Contains(@"templates\Crm.Templates\Crm.Templates.csproj", packed.Packable);

        foreach (var project in packed.Packable.Where(p => !p.StartsWith(@"templates\", StringComparison.Ordinal)))
        {
            var relative = project.Replace('\\', Path.DirectorySeparatorChar);
            var id = PackedFeed.PackageIdOf(Path.Combine(root, relative));
            var package = Path.Combine(packed.Feed, $"{id}.{packed.Version}.nupkg");
            Assert.True(File.Exists(package), $"dotnet pack made no {Path.GetFileName(package)}");
            AssertPackageIsComplete(package, id, File.ReadAllText(Path.Combine(root, Path.GetDirectoryName(relative)!, "README.md")),
                project.StartsWith(@"plugins\", StringComparison.Ordinal) && File.Exists(Path.Combine(root, Path.GetDirectoryName(relative)!, "plugin.json")));
            AssertSymbolPackageHasThePdb(Path.Combine(packed.Feed, $"{id}.{packed.Version}.snupkg"), id);
        }

        var database = Path.Combine(packed.Work, "consumer.db");
        var plugins = Directory.CreateDirectory(Path.Combine(packed.Work, "plugins")).FullName;   // the host from the package, over an empty folder
        var output = packed.RunConsumer(database, plugins);

        Assert.Contains($"kernel {packed.Version}", output);
        Assert.Matches(new Regex(@"Deal \S+ opened in stage 'lead' with 12000(\.00)? NOK\."), output);
        Assert.Matches(new Regex(@"Deal \S+ is in stage 'won' \(Won\)\."), output);
        Assert.Contains("mail sender: Crm.Mail.MailKit.MailKitMailSender", output);
        Assert.Contains("plug-ins in the report: 0", output);
        Assert.True(File.Exists(database), "the consumer's SQLite file was not created");
    }

    /// <summary>
    /// Issue 19 (point 6): the packed Crm.Templates installs into an isolated template hive; <c>dotnet new crm-plugin</c>
    /// and <c>dotnet new crm-methodology</c> make projects that build against the packed Crm.Abstractions, and the host
    /// (the consumer, built from the packages) loads both from a plug-in folder, resolves the plug-in's notification
    /// channel, installs the methodology for a tenant and moves a deal through its pipeline.
    /// </summary>
    [Fact]
    public void Issue19_templates_instantiate_build_and_load_into_a_host()
    {
        var templates = Path.Combine(packed.Feed, $"Crm.Templates.{packed.Version}.nupkg");
        Assert.True(File.Exists(templates), $"dotnet pack made no {Path.GetFileName(templates)}");
        using (var zip = ZipFile.OpenRead(templates))
        {
            Assert.Contains("README.md", zip.Entries.Select(e => e.FullName));
        }

        var hive = Path.Combine(packed.Work, "template-hive");
        DotNet.Run(packed.Work, StepTimeout, "new", "install", templates, "--debug:custom-hive", hive);

        // Outside the repository: the new projects see only the local feed and nuget.org, no Directory.Build.* above.
        var projects = Directory.CreateDirectory(Path.Combine(packed.Work, "from-templates")).FullName;
        packed.WriteIsolation(projects);
        var plugins = Directory.CreateDirectory(Path.Combine(packed.Work, "template-plugins")).FullName;
        foreach (var (template, name) in new[] { ("crm-plugin", "Contoso.Alerts"), ("crm-methodology", "Contoso.Solar") })
        {
            var folder = Path.Combine(projects, name);
            DotNet.Run(projects, StepTimeout, "new", template, "-n", name, "-o", folder, "--debug:custom-hive", hive);
            Assert.Contains(packed.Version, File.ReadAllText(Path.Combine(folder, name + ".csproj")));
            DotNet.Run(folder, StepTimeout, "build", Path.Combine(folder, name + ".csproj"), "-c", "Release", "-o", Path.Combine(plugins, name), "-nologo");
            Assert.True(File.Exists(Path.Combine(plugins, name, "plugin.json")), $"{name}: plugin.json was not copied to the output");
            Assert.False(File.Exists(Path.Combine(plugins, name, "Crm.Abstractions.dll")), $"{name}: the contract must come from the host, not the plug-in's folder");
        }

        var output = packed.RunConsumer(Path.Combine(packed.Work, "templates.db"), plugins, "contoso.solar", "qualified");

        Assert.Contains("plug-ins in the report: 2", output);
        Assert.Contains("loaded plug-in: contoso.alerts", output);
        Assert.Contains("loaded plug-in: contoso.solar", output);
        Assert.Contains("notification channels: contoso.alerts", output);
        Assert.Matches(new Regex(@"methodology contoso\.solar installed; deal \S+ moved to stage 'proposal'"), output);
    }

    /// <summary>
    /// Issue 19 (point 6): package validation against a baseline. With eng/baselines/Crm.Abstractions.&lt;baseline&gt;.nupkg
    /// present, packing a version that adds an abstract member to a public interface (a break for every implementer)
    /// fails with the API-compatibility error that names the member; guards the wiring in Directory.Build.targets.
    /// </summary>
    [Fact]
    public void Issue19_pack_fails_on_a_breaking_change_against_the_baseline_package()
    {
        var root = PackedFeed.RepositoryRoot();
        var baselineVersion = XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("CrmPackageBaselineVersion").Single().Value;
        var source = PackedFeed.CopyRepository(root, Path.Combine(packed.Work, "baseline-repo"));
        var project = Path.Combine(source, "src", "Abstractions", "Crm.Abstractions.csproj");
        DotNet.Run(source, StepTimeout, "pack", project, "-c", "Release", "-o", Path.Combine(source, "eng", "baselines"), $"-p:Version={baselineVersion}", "-p:IncludeSymbols=false", "-nologo");
        Assert.True(File.Exists(Path.Combine(source, "eng", "baselines", $"Crm.Abstractions.{baselineVersion}.nupkg")));

        var file = Directory.GetFiles(Path.Combine(source, "src", "Abstractions"), "*.cs", SearchOption.AllDirectories)
            .Single(f => File.ReadAllText(f).Contains("public interface INotificationChannel\n{", StringComparison.Ordinal));
        File.WriteAllText(file, File.ReadAllText(file).Replace("public interface INotificationChannel\n{",
            "public interface INotificationChannel\n{\n    /// <summary>Added after the baseline.</summary>\n    string Issue19BaselineProbe { get; }\n", StringComparison.Ordinal));

        var failure = Assert.Throws<InvalidOperationException>(() => DotNet.Run(source, StepTimeout, "pack", project, "-c", "Release",
            "-o", Path.Combine(packed.Work, "baseline-feed"), $"-p:Version={baselineVersion}-next.1", "-p:IncludeSymbols=false", "-nologo"));
        Assert.Contains("CP0006", failure.Message);                 // a member added to an interface
        Assert.Contains("Issue19BaselineProbe", failure.Message);
    }

    private static void AssertPackageIsComplete(string package, string id, string readme, bool isPlugin)
    {
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);   // XML docs ship with every package
        Assert.Contains("README.md", entries);
        using (var reader = new StreamReader(zip.GetEntry("README.md")!.Open()))
        {
            Assert.Equal(readme, reader.ReadToEnd());   // each package ships its own README, not the repository's
        }

        if (isPlugin)
        {
            Assert.Contains("plugin.json", entries);
        }

        using var nuspec = zip.GetEntry($"{id}.nuspec")!.Open();
        var metadata = XDocument.Load(nuspec).Root!.Elements().First(e => e.Name.LocalName == "metadata");
        Assert.Equal(id, metadata.Elements().First(e => e.Name.LocalName == "id").Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Elements().First(e => e.Name.LocalName == "description").Value));
        Assert.Equal("MIT", metadata.Elements().First(e => e.Name.LocalName == "license").Value);
        Assert.Equal("README.md", metadata.Elements().First(e => e.Name.LocalName == "readme").Value);
    }

    private static void AssertSymbolPackageHasThePdb(string symbols, string id)
    {
        Assert.True(File.Exists(symbols), $"dotnet pack made no symbol package {Path.GetFileName(symbols)}");
        using var zip = ZipFile.OpenRead(symbols);
        Assert.Contains($"lib/net10.0/{id}.pdb", zip.Entries.Select(e => e.FullName));
    }
}
