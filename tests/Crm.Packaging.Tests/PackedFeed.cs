using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Crm.Packaging.Tests;

/// <summary>
/// Packs every packable project of a copy of the repository into a folder feed once for the test class, with a unique
/// prerelease version (so the global packages cache can never serve a stale copy), and builds the consumer app that
/// gets the kernel only from that feed. Deleted after the class's tests.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    internal static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(9);

    /// <summary>Packing compiles the whole kernel in Release; on a shared 2-core machine that alone can take minutes.</summary>
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);

    public PackedFeed()
    {
        var root = RepositoryRoot();
        Work = Directory.CreateTempSubdirectory("crm-packaging-").FullName;
        Version = $"0.1.0-pkgtest.g{Guid.NewGuid():N}";
        Feed = Path.Combine(Work, "feed");
        Packable = PackableProjects(root);

        var source = CopyRepository(root, Path.Combine(Work, "repo"));
        var filter = Path.Combine(source, "pack.slnf");
        File.WriteAllText(filter, $$"""
            { "solution": { "path": "Crm.Kernel.sln", "projects": [{{string.Join(", ", Packable.Select(p => "\"" + p.Replace(@"\", @"\\", StringComparison.Ordinal) + "\""))}}] } }
            """);
        DotNet.Run(source, PackTimeout, "pack", filter, "-c", "Release", "-o", Feed, $"-p:Version={Version}", "-nologo");

        Consumer = WriteConsumer(root, Path.Combine(Work, "consumer"), Feed, Version);
        DotNet.Run(Consumer, StepTimeout, "build", Consumer, "-nologo");
    }

    /// <summary>The temporary folder that holds the copy, the feed and the consumer.</summary>
    public string Work { get; }

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; }

    /// <summary>The folder feed with the .nupkg and .snupkg files.</summary>
    public string Feed { get; }

    /// <summary>The packed projects, as the .sln spells them (src\\..., plugins\\..., templates\\...).</summary>
    public IReadOnlyList<string> Packable { get; }

    /// <summary>The consumer's project folder (built).</summary>
    public string Consumer { get; }

    /// <summary>Runs the built consumer: SQLite file, plug-in folder, optionally a methodology id and a goal to achieve in its pipeline.</summary>
    public string RunConsumer(params string[] arguments) =>
        DotNet.Run(Consumer, StepTimeout, ["run", "--no-build", "--project", Consumer, "--", .. arguments]);

    /// <summary>Keeps MSBuild and NuGet in <paramref name="folder"/> from picking up anything above it; the local feed first.</summary>
    internal void WriteIsolation(string folder) => WriteIsolation(RepositoryRoot(), folder, Feed);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file for a moment; the folder is under the temp directory.
        }
    }

    /// <summary>The project's PackageId, else its AssemblyName, else its file name (what dotnet pack uses).</summary>
    internal static string PackageIdOf(string project)
    {
        var properties = XDocument.Load(project).Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup").ToArray();
        return properties.FirstOrDefault(e => e.Name.LocalName == "PackageId")?.Value
            ?? properties.FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value
            ?? Path.GetFileNameWithoutExtension(project);
    }

    /// <summary>The solution's projects under src/, plugins/ and templates/ (every one of them is packable), as the .sln spells them.</summary>
    private static List<string> PackableProjects(string root) =>
        Regex.Matches(File.ReadAllText(Path.Combine(root, "Crm.Kernel.sln")), "\"((?:src|plugins|templates)\\\\[^\"]+\\.csproj)\"")
            .Select(m => m.Groups[1].Value)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Copies what packing needs (sources and build settings, no bin/obj), so the test never writes into the working tree.</summary>
    internal static string CopyRepository(string root, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in new[] { "Crm.Kernel.sln", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "nuget.config", "README.md" })
        {
            if (File.Exists(Path.Combine(root, file)))
            {
                File.Copy(Path.Combine(root, file), Path.Combine(target, file));
            }
        }

        foreach (var folder in new[] { "src", "plugins", "templates", "eng" })
        {
            CopyTree(Path.Combine(root, folder), Path.Combine(target, folder));
        }

        return target;
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            var name = Path.GetFileName(directory);
            if (name is not ("bin" or "obj"))
            {
                CopyTree(directory, Path.Combine(target, name));
            }
        }
    }

    private static void WriteIsolation(string root, string folder, string feed)
    {
        Directory.CreateDirectory(folder);

        // Stop MSBuild and NuGet from picking up anything above the folder.
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project />\n");

        // The local feed first, then the sources the repository is configured with.
        var repositorySources = XDocument.Load(Path.Combine(root, "nuget.config")).Descendants("packageSources").Elements("add")
            .Select(e => new XElement("add", new XAttribute("key", (string)e.Attribute("key")!), new XAttribute("value", (string)e.Attribute("value")!)));
        new XDocument(new XElement("configuration",
            new XElement("packageSources", new XElement("clear"), new XElement("add", new XAttribute("key", "crm-local"), new XAttribute("value", feed)), repositorySources)))
            .Save(Path.Combine(folder, "nuget.config"));
    }

    private static string WriteConsumer(string root, string folder, string feed, string version)
    {
        WriteIsolation(root, folder, feed);
        var diVersion = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .First(e => (string?)e.Attribute("Include") == "Microsoft.Extensions.DependencyInjection").Attribute("Version")!.Value;
        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Crm.Kernel" Version="{version}" />
                <PackageReference Include="Crm.Storage.Sqlite" Version="{version}" />
                <PackageReference Include="Crm.Mail.MailKit" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="{diVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using System.Reflection;
            using Crm.Abstractions;
            using Crm.Abstractions.Automation;
            using Crm.Abstractions.Ports;
            using Crm.Kernel.Clients;
            using Crm.Kernel.Deals;
            using Crm.Kernel.Hosting;
            using Crm.Kernel.Plugins;
            using Crm.Mail.MailKit;
            using Crm.Storage.Sqlite;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection()
                .AddCrmKernel(crm => crm
                    .UseSqlite($"Data Source={args[0]}")
                    .AddPlugin(new MailKitPlugin { Options = o => { o.Host = "localhost"; o.From = "crm@example.com"; } })
                    .AddPluginsFrom(args[1]))
                .Services;
            await using var provider = services.BuildServiceProvider();
            var kernel = provider.GetRequiredService<CrmKernel>();
            Console.WriteLine($"kernel {typeof(CrmKernel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0]}");

            var tenant = new TenantId("acme");
            await kernel.InitializeTenantAsync(tenant, new UserId("admin"), "Ada Admin");
            var admin = kernel.OpenSession(tenant, new UserId("admin"));
            await admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("sales"), "Sales",
            [
                new StageDefinition(new StageId("lead"), "Lead")
                {
                    Goals = [new GoalDefinition(new GoalId("won"), "Contract signed", [new MoveToStage(new StageId("won"))])],
                },
                new StageDefinition(new StageId("won"), "Won", StageKind.Won),
            ]));
            var client = await admin.Clients.RegisterAsync(new NewClient("Fjord AS"), DuplicateHandling.Merge);
            var deal = await admin.Deals.OpenAsync(new NewDeal(client.Id, new PipelineId("sales"), Money.Of(12_000m, "NOK")));
            Console.WriteLine($"Deal {deal.Id} opened in stage '{deal.Stage}' with {deal.Amount.Amount} {deal.Amount.Currency}.");
            deal = await admin.Deals.AchieveGoalAsync(deal.Id, new GoalId("won"));
            Console.WriteLine($"Deal {deal.Id} is in stage '{deal.Stage}' ({deal.Status}).");
            Console.WriteLine($"mail sender: {provider.GetRequiredService<IMailSender>().GetType().FullName}");
            var report = provider.GetRequiredService<PluginLoadReport>();
            Console.WriteLine($"plug-ins in the report: {report.Loaded.Count}");
            foreach (var plugin in report.Loaded)
            {
                Console.WriteLine($"loaded plug-in: {plugin.Id}");
            }

            foreach (var skipped in report.Skipped)
            {
                Console.WriteLine(skipped);
            }

            Console.WriteLine($"notification channels: {string.Join(", ", provider.GetServices<INotificationChannel>().Select(c => c.Name).Order(StringComparer.Ordinal))}");
            if (args.Length > 3)
            {
                // A methodology from the plug-in folder: install it for the tenant and achieve a goal in its pipeline.
                await admin.Methodologies.InstallAsync(args[2]);
                var other = await admin.Deals.OpenAsync(new NewDeal(client.Id, new PipelineId(args[2]), Money.Of(5_000m, "NOK")));
                other = await admin.Deals.AchieveGoalAsync(other.Id, new GoalId(args[3]));
                Console.WriteLine($"methodology {args[2]} installed; deal {other.Id} moved to stage '{other.Stage}'");
            }
            """);
        return folder;
    }

    internal static string RepositoryRoot()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Crm.Kernel.sln")))
        {
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Crm.Kernel.sln not found above the test's folder.");
        }

        return directory;
    }
}
