using Microsoft.Extensions.Options;
using NodaTime;
using Crm.Kernel.Scheduling;
using PhoneNumbers;

namespace Crm.Kernel.Hosting;

/// <summary>Options of the kernel, validated when the kernel is built (and on host start).</summary>
public sealed class CrmKernelOptions
{
    /// <summary>How deep goals, rules and processes may trigger each other within one command.</summary>
    /// <value>Default 16; from 1 to 1000.</value>
    public int MaxReactionDepth { get; set; } = 16;

    /// <summary>The region (ISO 3166 two letters) used to read phone numbers written without a country code.</summary>
    /// <value>Default <c>US</c>.</value>
    public string DefaultPhoneRegion { get; set; } = "US";

    /// <summary>The tenant's IANA time zone, used for dates (plan periods, reports) when a user has none.</summary>
    /// <value>Default <c>UTC</c>.</value>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>How many cards a Kanban column returns per page when the query does not say.</summary>
    /// <value>Default 50; from 1 to 1000.</value>
    public int KanbanPageSize { get; set; } = 50;

    /// <summary>
    /// How many aggregate states (users, deals, the rule book…) the kernel keeps parsed between commands. Commands take
    /// them without a store read and the commit checks their versions, so a state another host changed only makes that
    /// command run once more on fresh reads; queries always read the store. 0 turns the cache off.
    /// </summary>
    /// <value>Default 10,000; from 0 to 10,000,000.</value>
    public int AggregateCacheSize { get; set; } = 10_000;

    /// <summary>How long a scheduler run holds a claimed timer before another run may take it over.</summary>
    /// <value>Default 1 minute; at least 1 second.</value>
    public Duration TimerLease { get; set; } = Duration.FromMinutes(1);

    /// <summary>
    /// How long a host holds a journal consumer (a webhook subscription's delivery, notification delivery) once it claimed
    /// it; the lease is renewed before every page and released when the run ends. Another host skips a consumer under an
    /// unexpired lease and takes it over after the lease expires (a host that died mid-page). Make it longer than one page
    /// can take to deliver (with webhook retries: <c>Webhooks.Retry.MaxAttempts</c> × the attempt timeout).
    /// </summary>
    /// <value>Default 2 minutes; at least 1 second.</value>
    public Duration ConsumerLease { get; set; } = Duration.FromMinutes(2);

    /// <summary>How many due timers one claim takes.</summary>
    /// <value>Default 100; from 1 to 10,000.</value>
    public int TimerBatchSize { get; set; } = 100;

    /// <summary>How many consecutive due timers of one tenant the scheduler fires in one unit of work (one commit).</summary>
    /// <value>Default 10; from 1 to 1000. 1 gives each timer its own commit.</value>
    public int TimerCommitGroup { get; set; } = 10;

    /// <summary>How often the hosted scheduler service looks for due timers.</summary>
    /// <value>Default 1 second; at least 10 milliseconds.</value>
    public Duration SchedulerPollInterval { get; set; } = Duration.FromSeconds(1);

    /// <summary>How long before a task is due its assignee is reminded.</summary>
    /// <value>Default 1 hour; zero or more.</value>
    public Duration TaskReminderLead { get; set; } = Duration.FromHours(1);

    /// <summary>
    /// The tenant's business calendar (working days, hours, holidays) for deadlines in business time. When its time zone
    /// is left at UTC, <see cref="DefaultTimeZone"/> is used.
    /// </summary>
    /// <value>Default Monday to Friday, 09:00–18:00, no holidays.</value>
    public Crm.Kernel.Scheduling.BusinessCalendarOptions Calendar { get; set; } = new();

    /// <summary>
    /// How failed notification deliveries are retried: each failure is journaled with the instant of its next attempt
    /// (<see cref="RetryOptions"/>, the same shape webhook delivery uses), on the kernel's clock.
    /// </summary>
    /// <value>Default 6 attempts (5 retries), the first retry after 1 minute, doubling, at most 1 day apart.</value>
    public RetryOptions NotificationRetry { get; set; } = new();


    /// <summary>The currency of amounts the kernel creates by itself (deals from unknown callers).</summary>
    /// <value>Default <c>USD</c>.</value>
    public string DefaultCurrency { get; set; } = "USD";

    /// <summary>The process template started for every website order; null starts none.</summary>
    /// <value>Default <c>delivery</c>.</value>
    public string? OrderProcessTemplate { get; set; } = "delivery";

    /// <summary>The task the owner of a new website order gets; null creates none.</summary>
    /// <value>Default "Confirm the order with the buyer".</value>
    public string? OrderTaskTitle { get; set; } = "Confirm the order with the buyer";

    /// <summary>Webhook delivery retries and timeouts.</summary>
    public Crm.Kernel.Integration.WebhookOptions Webhooks { get; set; } = new();

    /// <summary>
    /// How often the hosted delivery service delivers notifications and webhooks of every tenant. It runs in its own
    /// loop, apart from the scheduler, so a slow mail server or webhook endpoint does not delay due timers.
    /// </summary>
    /// <value>Default 1 second; at least 10 milliseconds.</value>
    public Duration DeliveryPollInterval { get; set; } = Duration.FromSeconds(1);

    internal DateTimeZone TimeZone => DateTimeZoneProviders.Tzdb[DefaultTimeZone];
}

/// <summary>Validates <see cref="CrmKernelOptions"/>; messages name the option.</summary>
internal sealed class CrmKernelOptionsValidator : IValidateOptions<CrmKernelOptions>
{
    public ValidateOptionsResult Validate(string? name, CrmKernelOptions options)
    {
        var failures = new List<string>();
        if (options.MaxReactionDepth is < 1 or > 1000)
        {
            failures.Add($"CrmKernelOptions.MaxReactionDepth must be from 1 to 1000; got {options.MaxReactionDepth}.");
        }

        if (options.KanbanPageSize is < 1 or > 1000)
        {
            failures.Add($"CrmKernelOptions.KanbanPageSize must be from 1 to 1000; got {options.KanbanPageSize}.");
        }

        if (options.AggregateCacheSize is < 0 or > 10_000_000)
        {
            failures.Add($"CrmKernelOptions.AggregateCacheSize must be from 0 (off) to 10000000; got {options.AggregateCacheSize}.");
        }

        if (string.IsNullOrEmpty(options.DefaultPhoneRegion)
            || !PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(options.DefaultPhoneRegion))
        {
            failures.Add($"CrmKernelOptions.DefaultPhoneRegion must be a supported ISO 3166 region such as 'US' or 'NO'; got '{options.DefaultPhoneRegion}'.");
        }

        if (options.DefaultTimeZone is null || DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.DefaultTimeZone) is null)
        {
            failures.Add($"CrmKernelOptions.DefaultTimeZone must be an IANA time zone id such as 'Europe/Oslo'; got '{options.DefaultTimeZone}'.");
        }

        if (options.TimerLease < Duration.FromSeconds(1))
        {
            failures.Add($"CrmKernelOptions.TimerLease must be at least 1 second; got {options.TimerLease}.");
        }

        if (options.ConsumerLease < Duration.FromSeconds(1))
        {
            failures.Add($"CrmKernelOptions.ConsumerLease must be at least 1 second; got {options.ConsumerLease}.");
        }

        if (options.TimerBatchSize is < 1 or > 10_000)
        {
            failures.Add($"CrmKernelOptions.TimerBatchSize must be from 1 to 10000; got {options.TimerBatchSize}.");
        }

        if (options.DefaultCurrency is not { Length: 3 } || !options.DefaultCurrency.All(c => c is >= 'A' and <= 'Z'))
        {
            failures.Add($"CrmKernelOptions.DefaultCurrency must be an ISO 4217 code such as 'USD'; got '{options.DefaultCurrency}'.");
        }

        if (options.Webhooks is null)
        {
            failures.Add("CrmKernelOptions.Webhooks must not be null; leave it out to keep the defaults.");
        }
        else
        {
            Integration.WebhookOptions.Validate(options.Webhooks, "CrmKernelOptions.Webhooks", failures);
        }

        if (options.NotificationRetry is null)
        {
            failures.Add("CrmKernelOptions.NotificationRetry must not be null; leave it out to keep the defaults.");
        }
        else
        {
            options.NotificationRetry.Validate("CrmKernelOptions.NotificationRetry", 1, Duration.FromSeconds(1), failures);
        }

        if (options.DeliveryPollInterval < Duration.FromMilliseconds(10))
        {
            failures.Add($"CrmKernelOptions.DeliveryPollInterval must be at least 10 ms; got {options.DeliveryPollInterval}.");
        }

        if (options.TimerCommitGroup is < 1 or > 1000)
        {
            failures.Add($"CrmKernelOptions.TimerCommitGroup must be from 1 to 1000; got {options.TimerCommitGroup}.");
        }

        if (options.SchedulerPollInterval < Duration.FromMilliseconds(10))
        {
            failures.Add($"CrmKernelOptions.SchedulerPollInterval must be at least 10 ms; got {options.SchedulerPollInterval}.");
        }

        if (options.TaskReminderLead < Duration.Zero)
        {
            failures.Add($"CrmKernelOptions.TaskReminderLead cannot be negative; got {options.TaskReminderLead}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
