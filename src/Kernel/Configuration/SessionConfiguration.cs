using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Configuration;

/// <summary>One version of one tenant setting as stored.</summary>
/// <param name="Kind">What it is: <c>process-template</c>, <c>calendar</c>, <c>user-calendar</c> or <c>order-intake</c>.</param>
/// <param name="Key">Which one of its kind: the template id, the user id, or <c>default</c>.</param>
/// <param name="Version">Its newest version.</param>
/// <param name="Json">Its definition as JSON.</param>
/// <param name="DefinedAt">When that version was defined.</param>
public sealed record TenantSetting(string Kind, string Key, int Version, string Json, Instant DefinedAt);

/// <summary>
/// The tenant's own configuration, defined at run time by its administrators: process templates, the business calendar,
/// users' own zones and hours, order-intake options. Each definition is checked for meaning, versioned (a new version
/// must be higher than the stored one, so two administrators defining at once cannot overwrite each other unseen) and
/// journaled (<see cref="TenantSettingDefined"/>). What a tenant has not defined falls back to the host: templates
/// registered in code or by plug-ins, and <c>CrmKernelOptions</c>.
/// </summary>
/// <example><code>
/// var admin = kernel.OpenSession(tenant, adminId);
/// await admin.Configuration.DefineProcessTemplateAsync(File.ReadAllText("onboarding.json"));
/// await admin.Configuration.DefineCalendarAsync(new BusinessCalendarOptions { TimeZone = DateTimeZoneProviders.Tzdb["Europe/Oslo"], Holidays = { new LocalDate(2026, 12, 24) } }, version: 1);
/// </code></example>
public sealed class SessionConfiguration
{
    private readonly CrmSession _session;

    internal SessionConfiguration(CrmSession session) => _session = session;

    /// <summary>
    /// Defines a process template for this tenant from JSON (the <see cref="ProcessTemplateJson"/> format), or a new
    /// version of it. New instances start on the newest version; running ones stay on the version they started with.
    /// Other tenants do not see it. Administrators only.
    /// </summary>
    /// <returns>The template.</returns>
    /// <exception cref="CrmValidationException">
    /// The JSON or the template is invalid (every problem with its path); the version is not higher than the tenant's
    /// newest version of the template or than the default registered in code; or a sub-process it starts does not exist
    /// for this tenant. Nothing is recorded.
    /// </exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<ProcessTemplate> DefineProcessTemplateAsync(string json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        var template = ProcessTemplateJson.Load(json);
        var stored = ProcessTemplateJson.Write(template);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define process templates");
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        var errors = new List<ValidationError>();
        var mine = settings?.Find(SettingKinds.ProcessTemplate, template.Id)?.Version ?? 0;
        var code = _session.Parts.Processes.Machine.FindLatestTemplate(template.Id)?.Version ?? 0;
        if (template.Version <= Math.Max(mine, code))
        {
            errors.Add(new("$.version", mine >= code
                ? $"the tenant's process template '{template.Id}' is at version {mine}; define version {mine + 1} or higher (read it again first: someone may have just defined it)."
                : $"process template '{template.Id}' has version {code} registered in code (the default); the tenant's own version must be {code + 1} or higher."));
        }

        var steps = template.Steps;
        for (var i = 0; i < steps.Count; i++)
        {
            for (var k = 0; k < steps[i].OnEntry.Count; k++)
            {
                if (steps[i].OnEntry[k] is Crm.Abstractions.Automation.StartProcess sub && !string.Equals(sub.Template, template.Id, StringComparison.Ordinal)
                    && await _session.Parts.Processes.Configuration.FindLatestTemplateAsync(unit, sub.Template, cancellationToken).ConfigureAwait(false) is null)
                {
                    errors.Add(new($"$.steps[{i}].onEntry[{k}].template", $"no process template '{sub.Template}' exists for this tenant; define or register it first."));
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        await RecordAsync(unit, SettingKinds.ProcessTemplate, template.Id, template.Version, stored, cancellationToken).ConfigureAwait(false);
        return template;
    }

    /// <summary>
    /// Installs the default template registered in code or by a plug-in as the tenant's own, at the default's version,
    /// so the tenant keeps it when the host's default changes. Installing a version the tenant already has records
    /// nothing. Administrators only.
    /// </summary>
    /// <returns>The tenant's template.</returns>
    /// <exception cref="EntityNotFoundException">No template with this id is registered in code or by a plug-in.</exception>
    /// <exception cref="CrmValidationException">The tenant already has a newer version, or the default has C# guards, which tenant data (JSON) cannot hold.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<ProcessTemplate> InstallProcessTemplateAsync(string templateId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("install process templates");
        var code = _session.Parts.Processes.Machine.FindLatestTemplate(templateId)
            ?? throw new EntityNotFoundException("process template", templateId);
        string json;
        try
        {
            json = ProcessTemplateJson.Write(code);
        }
        catch (InvalidOperationException e)
        {
            throw new CrmValidationException("templateId", $"process template '{templateId}' cannot become tenant data: {e.Message} It keeps applying as the default.");
        }

        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        if (settings?.Find(SettingKinds.ProcessTemplate, templateId) is { } mine)
        {
            if (mine.Version == code.Version && mine.Json == json)
            {
                return code;
            }

            throw new CrmValidationException("templateId", $"the tenant already has process template '{templateId}' v{mine.Version}; the default is v{code.Version}. Define a higher version instead.");
        }

        await RecordAsync(unit, SettingKinds.ProcessTemplate, templateId, code.Version, json, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <summary>The templates this tenant can start, newest version of each, in id order: its own, and the defaults in code it did not replace.</summary>
    public async Task<IReadOnlyList<ProcessTemplate>> ListProcessTemplatesAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return [.. (await _session.Parts.Processes.Configuration.TemplatesAsync(unit, cancellationToken).ConfigureAwait(false)).Select(t => t.Template)];
    }

    /// <summary>
    /// Defines the tenant's business calendar (zone, working days and hours, holidays), or a new version of it. Step
    /// deadlines, reminders, rule schedules and task due dates computed from then on use it; what was already scheduled
    /// stays. Administrators only.
    /// </summary>
    /// <param name="calendar">The calendar. Its zone must come from <see cref="DateTimeZoneProviders.Tzdb"/>.</param>
    /// <param name="version">The new version: higher than the stored one (1 for the first).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="CrmValidationException">An unknown zone, no working day, hours that do not start before they end, more than 1000 holidays, or a version that does not grow. Nothing is recorded.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<BusinessCalendar> DefineCalendarAsync(BusinessCalendarOptions calendar, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var (json, result) = CalendarJson.Write(calendar);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define the business calendar");
        await CheckVersionAsync(unit, SettingKinds.Calendar, SettingKinds.Default, version, "the business calendar", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.Calendar, SettingKinds.Default, version, json, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>The tenant's business calendar: the one it defined, else the host's.</summary>
    public async Task<BusinessCalendar> GetCalendarAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await _session.Parts.Processes.Configuration.CalendarAsync(unit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Defines a user's own zone and/or working hours, which override the tenant's for what is scheduled for that user
    /// (task due dates, reminders, digests). The tenant's working days and holidays still apply. The user or an
    /// administrator.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="timeZone">An IANA zone id such as <c>Europe/Oslo</c>, or null to keep the user's registered zone.</param>
    /// <param name="workingHoursStart">Start of the user's working day, or null (then <paramref name="workingHoursEnd"/> is null too) for the tenant's hours.</param>
    /// <param name="workingHoursEnd">End of the user's working day (exclusive).</param>
    /// <param name="version">The new version: higher than the stored one (1 for the first).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The user's calendar.</returns>
    /// <exception cref="CrmValidationException">Nothing given, an unknown zone, only one of the hours, hours that do not start before they end, or a version that does not grow.</exception>
    /// <exception cref="EntityNotFoundException">No such user.</exception>
    /// <exception cref="AccessDeniedException">The user is neither the one named nor an administrator.</exception>
    public async Task<BusinessCalendar> DefineUserCalendarAsync(UserId user, string? timeZone, LocalTime? workingHoursStart, LocalTime? workingHoursEnd, int version,
        CancellationToken cancellationToken = default)
    {
        var json = UserCalendarJson.Write(timeZone, workingHoursStart, workingHoursEnd);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        if (actor.Id != user && !actor.IsAdmin)
        {
            throw new AccessDeniedException(actor.Id, "define another user's working hours", $"user '{user}'");
        }

        await unit.GetAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false);
        await CheckVersionAsync(unit, SettingKinds.UserCalendar, user.Value, version, $"the working hours of user '{user}'", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.UserCalendar, user.Value, version, json, cancellationToken).ConfigureAwait(false);
        var (read, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await _session.Parts.Processes.Configuration.CalendarOfAsync(read, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A user's calendar: the tenant's, in the user's own zone and hours.</summary>
    public async Task<BusinessCalendar> GetUserCalendarAsync(UserId user, CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await _session.Parts.Processes.Configuration.CalendarOfAsync(unit, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Defines what a website order creates in this tenant besides its client, deal and invoice: the process started
    /// for it and the title of the owner's task (null for none). Until defined, the host's
    /// <c>CrmKernelOptions.OrderProcessTemplate</c> and <c>OrderTaskTitle</c> apply. Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">The template does not exist for this tenant, the title is not one line of 1 to 200 characters, or the version does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineOrderIntakeAsync(string? processTemplate, string? taskTitle, int version, CancellationToken cancellationToken = default)
    {
        Validation.InputRules.RequireText("taskTitle", taskTitle, 200, required: false, singleLine: true);
        if (taskTitle is not null && string.IsNullOrWhiteSpace(taskTitle))
        {
            throw new CrmValidationException("taskTitle", "give a title of 1 to 200 characters, or null for no task.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define order intake");
        if (processTemplate is not null && await _session.Parts.Processes.Configuration.FindLatestTemplateAsync(unit, processTemplate, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new CrmValidationException("processTemplate", $"no process template '{processTemplate}' exists for this tenant; define or register it first, or pass null to start none.");
        }

        await CheckVersionAsync(unit, SettingKinds.OrderIntake, SettingKinds.Default, version, "order intake", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.OrderIntake, SettingKinds.Default, version, OrderIntakeJson.Write(new(processTemplate, taskTitle?.Trim())), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Saves a report design under its name for the tenant, or a new version of it. Everyone in the tenant can list and
    /// run it (over what they may see). Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">No name (1 to 100 characters, one line), no measure, an unknown measure or dimension, a currency that is not three capital letters, or a version that does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineReportDesignAsync(Reports.ReportDefinition design, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(design);
        var errors = new List<ValidationError>();
        Validation.InputRules.Text(errors, "name", design.Name, 100, required: true, singleLine: true);
        if (design.Measures is not { Count: > 0 } || design.Measures.Any(m => !Enum.IsDefined(m)))
        {
            errors.Add(new("measures", "name one or more of: " + string.Join(", ", Enum.GetNames<Reports.Measure>()) + "."));
        }

        if (design.GroupBy is null || design.GroupBy.Any(d => !Enum.IsDefined(d)))
        {
            errors.Add(new("groupBy", "list the dimensions to group by (an empty list for one total), each one of: " + string.Join(", ", Enum.GetNames<Reports.Dimension>()) + "."));
        }

        if (design.Currency is not { Length: 3 } || !design.Currency.All(char.IsAsciiLetterUpper))
        {
            errors.Add(new("currency", $"a three-letter currency code such as EUR is required; got '{design.Currency}'."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("save report designs");
        var name = design.Name.Trim();
        await CheckVersionAsync(unit, SettingKinds.ReportDesign, name, version, $"report design '{name}'", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.ReportDesign, name, version, Methodologies.PreparedMethodology.WritePreset(design with { Name = name }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tenant's saved report designs, in name order.</summary>
    public async Task<IReadOnlyList<Reports.ReportDefinition>> ListReportDesignsAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return [.. (settings?.OfKind(SettingKinds.ReportDesign) ?? []).Select(s => Methodologies.PreparedMethodology.ReadPreset(s.Setting.Json))];
    }

    /// <summary>Runs a saved report design over the deals the session may see (optionally of one pipeline).</summary>
    /// <exception cref="EntityNotFoundException">The tenant has no design with this name.</exception>
    public async Task<IReadOnlyList<Reports.DesignedRow>> RunReportDesignAsync(string name, PipelineId? pipeline = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        var stored = settings?.Find(SettingKinds.ReportDesign, name.Trim()) ?? throw new EntityNotFoundException("report design", name);
        var data = await _session.Reports.GetSnapshotAsync(pipeline, cancellationToken).ConfigureAwait(false);
        return Reports.ReportDesigner.Run(data, Methodologies.PreparedMethodology.ReadPreset(stored.Json));
    }

    /// <summary>
    /// Defines a KPI plan of the tenant (its KPIs with weights, and each employee's targets over periods), or a new
    /// version of it. Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">An invalid plan id, KPI or target (see <see cref="Reports.KpiMonitor.Run"/>), an employee who is not a user of the tenant, or a version that does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineKpiPlanAsync(string planId, IReadOnlyList<Reports.KpiDefinition> kpis, IReadOnlyList<Reports.KpiPlan> targets, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kpis);
        ArgumentNullException.ThrowIfNull(targets);
        Validation.InputRules.RequireText("planId", planId, 100, required: true, singleLine: true);
        Reports.KpiMonitor.Validate(kpis, targets);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define KPI plans");
        var errors = new List<ValidationError>();
        for (var i = 0; i < targets.Count; i++)
        {
            if (await unit.FindAsync(Kinds.User, targets[i].Employee.Value, cancellationToken).ConfigureAwait(false) is null)
            {
                errors.Add(new($"targets[{i}].employee", $"user '{targets[i].Employee}' is not a user of this tenant."));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        await CheckVersionAsync(unit, SettingKinds.KpiPlan, planId.Trim(), version, $"KPI plan '{planId.Trim()}'", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.KpiPlan, planId.Trim(), version, KpiPlanJson.Write(kpis, targets), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a KPI plan over what the session may see: a row per planned employee and period with actuals, completion and score.</summary>
    /// <exception cref="EntityNotFoundException">The tenant has no KPI plan with this id.</exception>
    public async Task<IReadOnlyList<Reports.KpiRow>> RunKpiPlanAsync(string planId, Reports.ReportFilter? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planId);
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        var stored = settings?.Find(SettingKinds.KpiPlan, planId.Trim()) ?? throw new EntityNotFoundException("KPI plan", planId);
        var (kpis, targets) = KpiPlanJson.Read(stored.Json);
        var data = await _session.Reports.GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false);
        return Reports.KpiMonitor.Run(data, kpis, targets, filter);
    }

    /// <summary>
    /// Defines the tenant's notification policy: at what local time digests are sent (on the recipient's next working
    /// day, in their calendar), and whether rule violations are told at once or in the daily digest whatever each rule
    /// says (null: as each rule says). Until defined: 09:00 and as each rule says. Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">The digest time is not a whole minute, the policy is unknown, or the version does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineNotificationPolicyAsync(LocalTime digestAt, Rules.NotificationPolicy? violations, int version, CancellationToken cancellationToken = default)
    {
        if (digestAt.Second != 0 || digestAt.NanosecondOfSecond != 0)
        {
            throw new CrmValidationException("digestAt", $"give the digest time in whole minutes (HH:mm); got {digestAt:HH:mm:ss}.");
        }

        if (violations is { } v && !Enum.IsDefined(v))
        {
            throw new CrmValidationException("violations", $"unknown policy {(int)v}; use Immediate, DailyDigest, or null for what each rule says.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define the notification policy");
        await CheckVersionAsync(unit, SettingKinds.NotificationPolicy, SettingKinds.Default, version, "the notification policy", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.NotificationPolicy, SettingKinds.Default, version, NotificationPolicyJson.Write(digestAt, violations), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Defines the tenant's stock policy: whether an invoice may reserve more than is available (a backorder; the
    /// reservation is journaled with <c>Backorder = true</c>) and the warehouse invoices reserve at (null: the first
    /// warehouse defined). Until defined: no backorders, the first warehouse. Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">The warehouse does not exist, or the version does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineStockPolicyAsync(bool allowBackorders, string? defaultWarehouse, int version, CancellationToken cancellationToken = default)
    {
        Validation.InputRules.RequireText("defaultWarehouse", defaultWarehouse, Validation.TextLimits.Key, required: false, singleLine: true);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define the stock policy");
        if (defaultWarehouse is not null && await unit.FindAsync(Kinds.Warehouse, defaultWarehouse, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new CrmValidationException("defaultWarehouse", $"no warehouse '{defaultWarehouse}' exists; define it first (session.Stock.DefineWarehouseAsync), or pass null for the first warehouse.");
        }

        await CheckVersionAsync(unit, SettingKinds.StockPolicy, SettingKinds.Default, version, "the stock policy", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.StockPolicy, SettingKinds.Default, version, Stock.StockPolicyJson.Write(new(allowBackorders, defaultWarehouse)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Defines the tenant's discount policy: ordered thresholds, each with its approval steps (a line discount strictly
    /// above the highest threshold it crosses needs those approvers, in order, before its invoice can be issued). An
    /// empty list: no discount needs approval. Until defined: none does. Administrators only.
    /// </summary>
    /// <exception cref="CrmValidationException">A threshold is outside 0–100 or does not ascend, has no steps, an approver is not <c>ownerHead</c> or <c>user:&lt;id&gt;</c>, a named user does not exist, or the version does not grow.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineDiscountPolicyAsync(IReadOnlyList<Discounts.DiscountThreshold> thresholds, int version, CancellationToken cancellationToken = default)
    {
        var policy = Discounts.DiscountPolicyJson.Check(thresholds);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define the discount policy");
        for (var i = 0; i < thresholds.Count; i++)
        {
            for (var j = 0; j < thresholds[i].Steps.Count; j++)
            {
                if (thresholds[i].Steps[j] is { Kind: Crm.Abstractions.Automation.RecipientKind.User, Name: { } user }
                    && await unit.FindAsync(Kinds.User, user, cancellationToken).ConfigureAwait(false) is null)
                {
                    throw new CrmValidationException($"thresholds[{i}].steps[{j}]", $"no user '{user}' exists in this tenant; register the approver first.");
                }
            }
        }

        await CheckVersionAsync(unit, SettingKinds.DiscountPolicy, SettingKinds.Default, version, "the discount policy", cancellationToken).ConfigureAwait(false);
        await RecordAsync(unit, SettingKinds.DiscountPolicy, SettingKinds.Default, version, Discounts.DiscountPolicyJson.Write(policy), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest version of every setting the tenant defined, by kind and key.</summary>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<IReadOnlyList<TenantSetting>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("list tenant settings");
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return [.. (settings?.Current ?? new Dictionary<string, StoredSetting>()).Select(p =>
        {
            var slash = p.Key.IndexOf('/', StringComparison.Ordinal);
            return new TenantSetting(p.Key[..slash], p.Key[(slash + 1)..], p.Value.Version, p.Value.Json, p.Value.DefinedAt);
        })];
    }

    private static async ValueTask CheckVersionAsync(UnitOfWork unit, string kind, string key, int version, string what, CancellationToken cancellationToken)
    {
        var current = (await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false))?.Find(kind, key)?.Version ?? 0;
        if (version <= current)
        {
            throw new CrmValidationException("version", current == 0
                ? $"{what} has no version yet; the first is 1 or more, got {version}."
                : $"{what} is at version {current}; define version {current + 1} (read it again first: someone may have just defined it).");
        }
    }

    private static async ValueTask RecordAsync(UnitOfWork unit, string kind, string key, int version, string json, CancellationToken cancellationToken)
    {
        await unit.RecordAsync(new TenantSettingDefined(kind, key, version, json), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
