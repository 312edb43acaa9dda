using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Samples.Plugin;

/// <summary>The plug-in's one entry point: the host creates it and calls Configure once at start.</summary>
public sealed class LogChannelPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context) =>
        context.Services.AddSingleton<INotificationChannel>(sp => new LogNotificationChannel(
            sp.GetService<ILoggerFactory>()?.CreateLogger("Crm.Samples.Plugin") ?? NullLogger.Instance));
}

/// <summary>Delivers a notification by writing it to the host's log.</summary>
public sealed class LogNotificationChannel(ILogger logger) : INotificationChannel
{
    public string Name => "log";

    public Task DeliverAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        logger.LogInformation("Notification for {Recipient} in {Tenant}: {Subject}", notification.Recipient, notification.Tenant, notification.Subject);
        return Task.CompletedTask;
    }
}
