using System.Collections.Concurrent;
using System.Collections.Frozen;
using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using NodaTime;
using NodaTime.Text;

namespace Crm.Kernel.Configuration;

/// <summary>A template version as the kernel runs it for one tenant; its Stateless machine is configured on first use.</summary>
/// <param name="Template">The template version.</param>
/// <param name="ConfiguredMachine">Gets (configuring once) its Stateless machine.</param>
/// <param name="FromTenant">True when the tenant defined (or installed) it; false for a default registered in code or by a plug-in.</param>
internal readonly record struct ResolvedTemplate(ProcessTemplate Template, Func<ConfiguredProcessMachine> ConfiguredMachine, bool FromTenant)
{
    /// <summary>The configured machine (a default's from the kernel's cache, a tenant version's from the tenant cache).</summary>
    public ConfiguredProcessMachine Machine => ConfiguredMachine();

    public static ResolvedTemplate Default(ProcessMachine machine, ProcessTemplate template) => new(template, () => machine.Cache.GetOrAdd(template), false);
}

/// <summary>
/// Reads a tenant's settings for the code that uses them: the tenant's process templates over the defaults in code, the
/// tenant's business calendar over the host's, a user's own zone and hours over the tenant's. Parsed definitions are
/// cached by their JSON (a stored version never changes), per kernel. Thread-safe.
/// </summary>
internal sealed class TenantConfiguration(ProcessMachine machine, BusinessCalendar hostCalendar)
{
    private readonly ConcurrentDictionary<string, Lazy<(ProcessTemplate Template, Lazy<ConfiguredProcessMachine> Machine)>> _templates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BusinessCalendar> _calendars = new(StringComparer.Ordinal);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TenantSettings, FrozenSet<string>> _waitedFor = new();

    /// <summary>The tenant's settings document, or null when the tenant has defined nothing.</summary>
    public static async ValueTask<TenantSettings?> SettingsAsync(UnitOfWork unit, CancellationToken cancellationToken) =>
        await unit.FindAsync(Kinds.TenantSettings, TenantSettings.StreamId, cancellationToken).ConfigureAwait(false);

    /// <summary>The tenant's business calendar: the one it defined, else the host's (<c>CrmKernelOptions.Calendar</c>).</summary>
    public async ValueTask<BusinessCalendar> CalendarAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings?.Find(SettingKinds.Calendar, SettingKinds.Default) is { } stored
            ? _calendars.GetOrAdd(stored.Json, static json => CalendarJson.Read(json).Calendar)
            : hostCalendar;
    }

    /// <summary>
    /// The calendar deadlines and reminders for <paramref name="user"/> are computed on: the tenant's, in the user's own
    /// zone (their hours setting, else their registered zone) and with their own working hours when they have set them.
    /// </summary>
    public async ValueTask<BusinessCalendar> CalendarOfAsync(UnitOfWork unit, UserId user, CancellationToken cancellationToken)
    {
        var calendar = await CalendarAsync(unit, cancellationToken).ConfigureAwait(false);
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        var own = settings?.Find(SettingKinds.UserCalendar, user.Value) is { } stored ? UserCalendarJson.Read(stored.Json) : null;
        var zoneId = own?.TimeZone;
        if (zoneId is null)
        {
            var person = await unit.FindAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false);
            zoneId = person?.TimeZone;
        }

        var zone = zoneId is null ? calendar.TimeZone : DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId) ?? calendar.TimeZone;
        if (own?.Start is { } start && own.End is { } end)
        {
            return new BusinessCalendar(zone, calendar.WorkingDays, start, end, calendar.Holidays);
        }

        return zone.Equals(calendar.TimeZone) ? calendar : calendar.WithTimeZone(zone);
    }

    /// <summary>The newest version of a template for the tenant: its own newest version, else the default in code; null when neither exists.</summary>
    public async ValueTask<ResolvedTemplate?> FindLatestTemplateAsync(UnitOfWork unit, string templateId, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        if (settings?.Find(SettingKinds.ProcessTemplate, templateId) is { } stored)
        {
            return FromJson(stored.Json);
        }

        return machine.FindLatestTemplate(templateId) is { } code ? ResolvedTemplate.Default(machine, code) : null;
    }

    /// <summary>One version of a template for the tenant: the tenant's when it defined that version, else the one in code.</summary>
    /// <exception cref="EntityNotFoundException">Neither the tenant nor the code has that version.</exception>
    public async ValueTask<ResolvedTemplate> TemplateAsync(UnitOfWork unit, string templateId, int version, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        if (settings?.FindVersion(SettingKinds.ProcessTemplate, templateId, version) is { } json)
        {
            return FromJson(json);
        }

        return ResolvedTemplate.Default(machine, machine.GetTemplate(templateId, version));
    }

    /// <summary>True when one of the tenant's own template versions waits for events of this type.</summary>
    public async ValueTask<bool> IsWaitedForAsync(UnitOfWork unit, string eventType, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings is not null && _waitedFor.GetValue(settings, WaitedForIn).Contains(eventType);
    }

    // The event types the tenant's template versions wait for, computed once per settings document (a document is
    // immutable; a new definition is a new instance), not on every event about a deal.
    private FrozenSet<string> WaitedForIn(TenantSettings settings) =>
        settings.AllVersionsOfKind(SettingKinds.ProcessTemplate)
            .SelectMany(json => FromJson(json).Template.Steps)
            .SelectMany(step => step.OnEntry.OfType<Crm.Abstractions.Automation.WaitForEvent>())
            .Select(wait => wait.EventType)
            .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The tenant's newest version of every template it defined, and the defaults in code it did not override, in id order.</summary>
    public async ValueTask<IReadOnlyList<ResolvedTemplate>> TemplatesAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        var result = new SortedDictionary<string, ResolvedTemplate>(StringComparer.Ordinal);
        foreach (var code in machine.Templates)
        {
            result[code.Id] = ResolvedTemplate.Default(machine, code);
        }

        foreach (var (key, stored) in settings?.OfKind(SettingKinds.ProcessTemplate) ?? [])
        {
            result[key] = FromJson(stored.Json);
        }

        return [.. result.Values];
    }

    /// <summary>The tenant's order-intake options: the ones it defined, else the host's (<c>CrmKernelOptions.OrderProcessTemplate</c>, <c>OrderTaskTitle</c>).</summary>
    public async ValueTask<OrderIntakeJson.Document> OrderIntakeAsync(UnitOfWork unit, string? defaultTemplate, string? defaultTaskTitle, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings?.Find(SettingKinds.OrderIntake, SettingKinds.Default) is { } stored
            ? OrderIntakeJson.Read(stored.Json)
            : new OrderIntakeJson.Document(defaultTemplate, defaultTaskTitle);
    }

    /// <summary>The tenant's notification policy: the one it defined, else digests at 09:00 and violations told as each rule says.</summary>
    public async ValueTask<NotificationPolicyJson.Document> NotificationPolicyAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var settings = await SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings?.Find(SettingKinds.NotificationPolicy, SettingKinds.Default) is { } stored
            ? NotificationPolicyJson.Read(stored.Json)
            : NotificationPolicyJson.Default;
    }

    private ResolvedTemplate FromJson(string json)
    {
        var parsed = _templates.GetOrAdd(json, static j => new Lazy<(ProcessTemplate, Lazy<ConfiguredProcessMachine>)>(() =>
        {
            ProcessTemplate template;
            try
            {
                template = ProcessTemplateJson.Load(j);
            }
            catch (CrmValidationException e)
            {
                throw new InvalidStateException($"A stored process template of this tenant no longer loads ({e.Message}); define a corrected, higher version.");
            }

            return (template, new Lazy<ConfiguredProcessMachine>(() => new ConfiguredProcessMachine(template)));
        })).Value;
        var machine = parsed.Machine;
        return new ResolvedTemplate(parsed.Template, () => machine.Value, true);
    }
}

/// <summary>The stored JSON of a tenant's business calendar.</summary>
internal static class CalendarJson
{
    private static readonly LocalTimePattern Time = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    internal sealed record Document(string? TimeZone, IReadOnlyList<string>? WorkingDays, string? WorkingHoursStart, string? WorkingHoursEnd, IReadOnlyList<string>? Holidays);

    /// <summary>Checks the options for meaning and writes them as JSON.</summary>
    /// <exception cref="CrmValidationException">The zone is not an IANA zone, no working day, hours that do not start before they end, or too many holidays.</exception>
    public static (string Json, BusinessCalendar Calendar) Write(BusinessCalendarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<ValidationError>();
        if (options.TimeZone is null || DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.TimeZone.Id) is null)
        {
            errors.Add(new("timeZone", $"'{options.TimeZone?.Id}' is not an IANA time zone id such as 'Europe/Oslo'; take the zone from DateTimeZoneProviders.Tzdb."));
        }

        if (options.WorkingHoursStart.Second != 0 || options.WorkingHoursStart.NanosecondOfSecond != 0 || options.WorkingHoursEnd.Second != 0 || options.WorkingHoursEnd.NanosecondOfSecond != 0)
        {
            errors.Add(new("workingHoursStart", "working hours are whole minutes (HH:mm)."));
        }

        if (options.Holidays is { Count: > 1000 })
        {
            errors.Add(new("holidays", $"at most 1000 holidays; got {options.Holidays.Count}. Define the coming years only."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var calendar = new BusinessCalendar(options); // checks the days and hours
        var document = new Document(
            calendar.TimeZone.Id,
            [.. calendar.WorkingDays.Select(d => d.ToString())],
            Time.Format(calendar.WorkingHoursStart),
            Time.Format(calendar.WorkingHoursEnd),
            [.. calendar.Holidays.Order().Select(d => LocalDatePattern.Iso.Format(d))]);
        return (CrmJson.Serialize(document), calendar);
    }

    /// <summary>Reads stored JSON back into a calendar.</summary>
    /// <exception cref="InvalidStateException">The stored JSON does not read.</exception>
    public static (Document Document, BusinessCalendar Calendar) Read(string json)
    {
        var document = CrmJson.Deserialize<Document>(json);
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(document.TimeZone ?? "")
            ?? throw new InvalidStateException($"The tenant's stored calendar names an unknown zone '{document.TimeZone}'; define a new calendar version.");
        return (document, new BusinessCalendar(
            zone,
            (document.WorkingDays ?? []).Select(d => Enum.Parse<IsoDayOfWeek>(d)),
            Time.Parse(document.WorkingHoursStart ?? "").GetValueOrThrow(),
            Time.Parse(document.WorkingHoursEnd ?? "").GetValueOrThrow(),
            (document.Holidays ?? []).Select(d => LocalDatePattern.Iso.Parse(d).GetValueOrThrow())));
    }
}

/// <summary>The stored JSON of a user's own zone and working hours.</summary>
internal static class UserCalendarJson
{
    private static readonly LocalTimePattern Time = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    internal sealed record Document(string? TimeZone, string? WorkingHoursStart, string? WorkingHoursEnd)
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public LocalTime? Start => WorkingHoursStart is null ? null : Time.Parse(WorkingHoursStart).GetValueOrThrow();

        [System.Text.Json.Serialization.JsonIgnore]
        public LocalTime? End => WorkingHoursEnd is null ? null : Time.Parse(WorkingHoursEnd).GetValueOrThrow();
    }

    /// <summary>Checks a user's own zone and hours and writes them as JSON.</summary>
    /// <exception cref="CrmValidationException">Nothing given, an unknown zone, only one of the hours, or hours that do not start before they end.</exception>
    public static string Write(string? timeZone, LocalTime? start, LocalTime? end)
    {
        var errors = new List<ValidationError>();
        if (timeZone is null && start is null && end is null)
        {
            errors.Add(new("timeZone", "give the user's zone, working hours, or both."));
        }

        if (timeZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is null)
        {
            errors.Add(new("timeZone", $"'{timeZone}' is not an IANA time zone id such as 'Europe/Oslo'."));
        }

        if (start.HasValue != end.HasValue)
        {
            errors.Add(new(start.HasValue ? "workingHoursEnd" : "workingHoursStart", "give both the start and the end of the working hours, or neither."));
        }
        else if (start is { } s && end is { } e && (s >= e || s.Second != 0 || e.Second != 0 || s.NanosecondOfSecond != 0 || e.NanosecondOfSecond != 0))
        {
            errors.Add(new("workingHoursStart", $"working hours are whole minutes and start before they end; got {Time.Format(s)}–{Time.Format(e)}."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        return CrmJson.Serialize(new Document(timeZone, start is { } a ? Time.Format(a) : null, end is { } b ? Time.Format(b) : null));
    }

    public static Document Read(string json) => CrmJson.Deserialize<Document>(json);
}

/// <summary>The stored JSON of a tenant's order-intake options.</summary>
internal static class OrderIntakeJson
{
    /// <summary>The options: the template started for every website order and the owner's task title; null for none.</summary>
    internal sealed record Document(string? ProcessTemplate, string? TaskTitle);

    public static string Write(Document document) => CrmJson.Serialize(document);

    public static Document Read(string json) => CrmJson.Deserialize<Document>(json);
}

/// <summary>The stored JSON of a KPI plan: its KPIs and targets, dates as ISO text.</summary>
internal static class KpiPlanJson
{
    internal sealed record Kpi(string Id, string Measure, decimal Weight, string? Currency);

    internal sealed record Target(string Employee, string Kpi, string Start, string End, decimal Value);

    internal sealed record Document(IReadOnlyList<Kpi> Kpis, IReadOnlyList<Target> Targets);

    public static string Write(IReadOnlyList<Reports.KpiDefinition> kpis, IReadOnlyList<Reports.KpiPlan> targets) => CrmJson.Serialize(new Document(
        [.. kpis.Select(k => new Kpi(k.Id, k.Measure.ToString(), k.Weight, k.Currency))],
        [.. targets.Select(t => new Target(t.Employee.Value, t.Kpi, LocalDatePattern.Iso.Format(t.Period.Start), LocalDatePattern.Iso.Format(t.Period.End), t.Target))]));

    public static (IReadOnlyList<Reports.KpiDefinition> Kpis, IReadOnlyList<Reports.KpiPlan> Targets) Read(string json)
    {
        var document = CrmJson.Deserialize<Document>(json);
        return (
            [.. document.Kpis.Select(k => new Reports.KpiDefinition(k.Id, Enum.Parse<Reports.KpiMeasure>(k.Measure), k.Weight, k.Currency))],
            [.. document.Targets.Select(t => new Reports.KpiPlan(new UserId(t.Employee), t.Kpi,
                new DateInterval(LocalDatePattern.Iso.Parse(t.Start).GetValueOrThrow(), LocalDatePattern.Iso.Parse(t.End).GetValueOrThrow()), t.Value))]);
    }
}

/// <summary>The stored JSON of a tenant's notification policy.</summary>
internal static class NotificationPolicyJson
{
    private static readonly LocalTimePattern Time = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    public static Document Default { get; } = new("09:00", null);

    /// <summary>The policy: when digests are sent (local time of the recipient's next working day), and how rule violations are told (null: as each rule says).</summary>
    internal sealed record Document(string DigestTime, string? ViolationPolicy)
    {
        [System.Text.Json.Serialization.JsonIgnore]
        public LocalTime DigestAt => Time.Parse(DigestTime).GetValueOrThrow();

        [System.Text.Json.Serialization.JsonIgnore]
        public Rules.NotificationPolicy? Violations => ViolationPolicy is null ? null : Enum.Parse<Rules.NotificationPolicy>(ViolationPolicy);
    }

    public static string Write(LocalTime digestAt, Rules.NotificationPolicy? violations) =>
        CrmJson.Serialize(new Document(Time.Format(digestAt), violations?.ToString()));

    public static Document Read(string json) => CrmJson.Deserialize<Document>(json);
}
