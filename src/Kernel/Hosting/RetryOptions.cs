using NodaTime;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Crm.Kernel.Hosting;

/// <summary>
/// How a failed delivery is retried: the one retry shape of the kernel, used by notification delivery
/// (<see cref="CrmKernelOptions.NotificationRetry"/>) and webhook delivery (<see cref="Integration.WebhookOptions.Retry"/>).
/// Attempt <c>n + 1</c> waits <see cref="FirstDelay"/> × 2<sup>n − 1</sup> after attempt <c>n</c> failed, at most
/// <see cref="MaxDelay"/>; there is no jitter, so a schedule is the same on every host and in tests on a fake clock.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>Attempts in all, the first one included; 1 means no retry.</summary>
    /// <value>From 1 to 21.</value>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The wait before the first retry; each further retry waits twice as long as the one before.</summary>
    /// <value>Zero or more.</value>
    public Duration FirstDelay { get; set; } = Duration.FromMinutes(1);

    /// <summary>The longest wait between two attempts.</summary>
    /// <value>Default 1 day; at least <see cref="FirstDelay"/>.</value>
    public Duration MaxDelay { get; set; } = Duration.FromDays(1);

    internal void Validate(string path, int minAttempts, Duration minFirstDelay, List<string> failures)
    {
        if (MaxAttempts < minAttempts || MaxAttempts > 21)
        {
            failures.Add($"{path}.MaxAttempts must be from {minAttempts} to 21; got {MaxAttempts}.");
        }

        if (FirstDelay < minFirstDelay)
        {
            failures.Add($"{path}.FirstDelay must be at least {minFirstDelay}; got {FirstDelay}.");
        }

        if (MaxDelay < FirstDelay)
        {
            failures.Add($"{path}.MaxDelay must be at least {path}.FirstDelay ({FirstDelay}); got {MaxDelay}.");
        }
    }
}

/// <summary>
/// The kernel's one retry model, built from <see cref="RetryOptions"/> on the kernel's clock. Durable retries
/// (notifications) journal the instant of the next attempt from <see cref="NextAttemptAt"/>; in-process retries
/// (webhook POSTs) run through <see cref="Pipeline"/>, a Polly retry whose delays are the same
/// <see cref="DelayAfter"/> and whose time provider reads the kernel's <see cref="IClock"/>.
/// </summary>
internal sealed class RetrySchedule
{
    private readonly RetryOptions _options;

    public RetrySchedule(RetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = new RetryOptions { MaxAttempts = options.MaxAttempts, FirstDelay = options.FirstDelay, MaxDelay = options.MaxDelay };
    }

    /// <summary>Attempts in all.</summary>
    public int MaxAttempts => _options.MaxAttempts;

    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failed attempt (1-based) before the next one.</summary>
    public Duration DelayAfter(int failedAttempts)
    {
        var exponent = Math.Clamp(failedAttempts - 1, 0, 40);
        var ticks = (double)_options.FirstDelay.BclCompatibleTicks * Math.Pow(2, exponent);
        return ticks >= _options.MaxDelay.BclCompatibleTicks ? _options.MaxDelay : Duration.FromTicks((long)ticks);
    }

    /// <summary>When the next attempt is due after <paramref name="failedAttempts"/> failed ones at <paramref name="now"/>; null once none is left.</summary>
    public Instant? NextAttemptAt(Instant now, int failedAttempts) =>
        failedAttempts >= _options.MaxAttempts ? null : now + DelayAfter(failedAttempts);

    /// <summary>
    /// A Polly pipeline: each attempt bounded by <paramref name="attemptTimeout"/>, failures that
    /// <paramref name="shouldHandle"/> accepts (and attempt timeouts) retried up to <see cref="MaxAttempts"/> in all,
    /// waiting <see cref="DelayAfter"/>, timed by <paramref name="time"/> (the kernel's clock, see <see cref="ClockTimeProvider"/>).
    /// </summary>
    public ResiliencePipeline Pipeline(TimeProvider time, Duration attemptTimeout, PredicateBuilder<object> shouldHandle)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = MaxAttempts - 1,
                ShouldHandle = shouldHandle.Handle<TimeoutRejectedException>(),
                DelayGenerator = args => new ValueTask<TimeSpan?>(DelayAfter(args.AttemptNumber + 1).ToTimeSpan()),
            });
        }

        return builder.AddTimeout(attemptTimeout.ToTimeSpan()).Build();
    }
}

/// <summary>
/// A <see cref="TimeProvider"/> whose "now" is the kernel's <see cref="IClock"/>, so Polly reads the same time as the
/// rest of the kernel (a fake clock in tests). Waits (retry delays, attempt timeouts) still run on the system's timers:
/// a fake clock does not move by itself, and a hanging peer must still time out.
/// </summary>
internal sealed class ClockTimeProvider(IClock clock) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => clock.GetCurrentInstant().ToDateTimeOffset();
}
