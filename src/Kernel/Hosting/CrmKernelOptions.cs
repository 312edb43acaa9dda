using Microsoft.Extensions.Options;
using NodaTime;
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

        if (string.IsNullOrEmpty(options.DefaultPhoneRegion)
            || !PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(options.DefaultPhoneRegion))
        {
            failures.Add($"CrmKernelOptions.DefaultPhoneRegion must be a supported ISO 3166 region such as 'US' or 'NO'; got '{options.DefaultPhoneRegion}'.");
        }

        if (options.DefaultTimeZone is null || DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.DefaultTimeZone) is null)
        {
            failures.Add($"CrmKernelOptions.DefaultTimeZone must be an IANA time zone id such as 'Europe/Oslo'; got '{options.DefaultTimeZone}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
