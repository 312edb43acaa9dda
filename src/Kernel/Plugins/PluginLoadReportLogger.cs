using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Crm.Kernel.Plugins;

/// <summary>
/// Writes the <see cref="PluginLoadReport"/> to the host's log when a generic host starts: one information line per
/// loaded plug-in, one warning per skipped plug-in with its path and reason. Without a logger it does nothing.
/// </summary>
internal sealed class PluginLoadReportLogger(PluginLoadReport report, ILoggerFactory? loggerFactory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (loggerFactory is null)
        {
            return Task.CompletedTask;
        }

        var logger = loggerFactory.CreateLogger("Crm.Kernel.Plugins");
        foreach (var plugin in report.Loaded)
        {
            logger.LogInformation("Plug-in {PluginId} {PluginVersion} loaded from {PluginPath}", plugin.Id, plugin.Version, plugin.Path);
        }

        foreach (var plugin in report.Skipped)
        {
            logger.LogWarning("Plug-in at {PluginPath} skipped ({Reason}): {Message}", plugin.Path, plugin.Reason, plugin.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
