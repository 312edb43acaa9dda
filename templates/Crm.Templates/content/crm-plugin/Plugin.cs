using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrmPlugin1;

/// <summary>The plug-in's one entry point: the host creates it and calls Configure once at start.</summary>
public sealed class Plugin : ICrmPlugin
{
    /// <inheritdoc />
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Services.AddSingleton<INotificationChannel>(sp => new LogNotificationChannel(
            sp.GetService<ILoggerFactory>()?.CreateLogger("CrmPlugin1") ?? NullLogger.Instance));
    }
}

/// <summary>Delivers a notification by writing it to the host's log.</summary>
public sealed class LogNotificationChannel(ILogger logger) : INotificationChannel
{
    /// <inheritdoc />
    public string Name => "crmplugin1";

    /// <inheritdoc />
    public Task DeliverAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        cancellationToken.ThrowIfCancellationRequested();
        logger.LogInformation("Notification for {Recipient} in {Tenant}: {Subject}", notification.Recipient, notification.Tenant, notification.Subject);
        return Task.CompletedTask;
    }
}
