using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Crm.Plugins.Tests;

/// <summary>samples/Crm.Samples.Plugin, the plug-in docs/plugins.md is written around, loads from a folder and works.</summary>
public sealed class SamplePluginTests
{
    [Fact]
    public async Task The_sample_log_channel_loads_from_its_folder_and_delivers_to_the_hosts_log()
    {
        var logs = new ReportLoggingTests.ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().AddPluginsFrom(TestPluginFolder.With("Crm.Samples.Plugin")));
        using var host = builder.Build();

        var report = host.Services.GetRequiredService<Crm.Kernel.Plugins.PluginLoadReport>();
        Assert.Equal("crm.samples.log-channel", Assert.Single(report.Loaded).Id);
        var channel = Assert.Single(host.Services.GetServices<INotificationChannel>(), c => c.Name == "log");

        await channel.DeliverAsync(new Notification(new TenantId("acme"), new UserId("kari"), "Offer due tomorrow", "Fjord AS", null));

        Assert.Contains(logs.Entries, e => e.Message == "Notification for kari in acme: Offer due tomorrow");
    }

    [Fact]
    public void Docs_plugins_page_shows_the_sample_code_as_it_is_built()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Crm.Kernel.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Crm.Kernel.sln not found above the test's folder.");
        }

        var docs = File.ReadAllText(Path.Combine(root, "docs", "plugins.md")).ReplaceLineEndings("\n");
        foreach (var file in new[] { "LogChannelPlugin.cs", "plugin.json", "Crm.Samples.Plugin.csproj" })
        {
            var code = File.ReadAllText(Path.Combine(root, "samples", "Crm.Samples.Plugin", file)).ReplaceLineEndings("\n");
            Assert.True(docs.Contains(code, StringComparison.Ordinal), $"docs/plugins.md must show samples/Crm.Samples.Plugin/{file} exactly as it is.");
        }
    }
}
