using Crm.Kernel.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Crm.Kernel.Scheduling;

/// <summary>
/// Runs <see cref="CrmScheduler.RunDueAsync"/> in real time inside a .NET host, every
/// <see cref="CrmKernelOptions.SchedulerPollInterval"/>. Registered by <c>AddCrmKernel</c>; it runs only where a host
/// runs hosted services. It fires timers only: notification and webhook deliveries run in a separate hosted loop
/// (every <see cref="CrmKernelOptions.DeliveryPollInterval"/>), so a slow mail server or endpoint cannot delay them.
/// </summary>
public sealed class CrmSchedulerService : BackgroundService
{
    private readonly CrmKernel _kernel;
    private readonly IClock _clock;
    private readonly ILogger<CrmSchedulerService> _logger;

    /// <summary>Creates the service (done by DI).</summary>
    public CrmSchedulerService(CrmKernel kernel, IClock clock, ILogger<CrmSchedulerService> logger)
    {
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _kernel.Parts.Options.SchedulerPollInterval.ToTimeSpan();
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                // Only timers: deliveries (mail, channels, webhooks) run in their own hosted loop, so a slow peer
                // cannot delay a due timer.
                var run = await _kernel.Scheduler.RunDueAsync(_clock.GetCurrentInstant(), stoppingToken).ConfigureAwait(false);

                if (run.Failed > 0)
                {
                    _logger.LogWarning("Scheduler: {Failed} timer(s) failed and will be retried when their lease expires.", run.Failed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store may be briefly unavailable; timers stay in the store and the next tick retries.
                _logger.LogError(e, "Scheduler run failed; retrying on the next tick.");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
