using Crm.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Kernel.Hosting;

/// <summary>
/// Delivers committed notifications and webhook events of every tenant in real time inside a .NET host, every
/// <see cref="CrmKernelOptions.DeliveryPollInterval"/>: two loops of their own (notifications, webhooks), apart from the
/// scheduler's timer loop, so a hanging SMTP server or webhook endpoint delays neither the timers nor the other kind of
/// delivery. Retries follow the kernel's one retry model (<see cref="RetryOptions"/>). Registered by <c>AddCrmKernel</c>.
/// </summary>
internal sealed class CrmDeliveryService(CrmKernel kernel, IOptions<CrmKernelOptions> options, ILogger<CrmDeliveryService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        LoopAsync("notification", (tenant, ct) => kernel.Notifications.DeliverAsync(tenant, ct), stoppingToken),
        LoopAsync("webhook", (tenant, ct) => kernel.Webhooks.DeliverAsync(tenant, ct), stoppingToken));

    private async Task LoopAsync(string what, Func<TenantId, CancellationToken, Task> deliver, CancellationToken stoppingToken)
    {
        // Leave the caller's (the host's) start path at once: the first round runs on the thread pool.
        await Task.Yield();
        using var timer = new PeriodicTimer(options.Value.DeliveryPollInterval.ToTimeSpan());
        try
        {
            do
            {
                IReadOnlyList<TenantId> tenants;
                try
                {
                    tenants = await kernel.ListTenantsAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Listing tenants for {What} delivery failed; retrying on the next tick.", what);
                    continue;
                }

                foreach (var tenant in tenants)
                {
                    try
                    {
                        await deliver(tenant, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One tenant's failure (the store briefly unavailable) does not stop the others; the journal keeps
                        // what was not delivered and the next tick goes on from the committed cursor.
                        logger.LogError(e, "The {What} delivery of tenant {Tenant} failed; retrying on the next tick.", what, tenant.Value);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
