using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Methodologies;

/// <summary>
/// Sales methodologies as one session sees them: administrators list and install the ones plug-ins offer; everyone
/// reads the installed methodologies' client classifiers and report presets.
/// </summary>
/// <example><code>
/// var admin = kernel.OpenSession(tenant, adminId);
/// await admin.Methodologies.InstallAsync("spin");   // pipelines, rules, templates; a second call changes nothing
/// var presets = await admin.Methodologies.ListReportPresetsAsync();
/// </code></example>
public sealed class SessionMethodologies
{
    private readonly CrmSession _session;

    internal SessionMethodologies(CrmSession session) => _session = session;

    private MethodologyCatalog Catalog => _session.Parts.Methodologies;

    /// <summary>The methodologies the kernel's plug-ins offer, with this tenant's installation of each. Administrators only.</summary>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<IReadOnlyList<MethodologyInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("list methodologies");
        var result = new List<MethodologyInfo>();
        foreach (var methodology in Catalog.All)
        {
            var installed = await unit.FindAsync(Kinds.Methodology, methodology.Id, cancellationToken).ConfigureAwait(false);
            result.Add(new MethodologyInfo(methodology.Id, methodology.Name, methodology.Description, installed));
        }

        return result;
    }

    /// <summary>
    /// Installs a methodology into the tenant in one commit: defines its pipelines, defines its rules (a rule the tenant
    /// already has at the same or a higher version is kept), makes its process templates startable, and records its
    /// classifiers and report presets. Installing again records nothing unless the methodology changed (then only what
    /// changed). Administrators only.
    /// </summary>
    /// <returns>The installation.</returns>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    /// <exception cref="EntityNotFoundException">No plug-in offers a methodology with this id.</exception>
    /// <exception cref="MethodologyValidationException">
    /// A pipeline, template, rule, preset or classifier is invalid, or a rule conflicts with one the tenant has; every
    /// problem is listed with its path (e.g. <c>methodologies[saas].rules[saas-churn-risk.json].trigger</c>). Nothing was installed.
    /// </exception>
    public async Task<InstalledMethodology> InstallAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("install methodologies");
        var prepared = Catalog.Prepare(id);
        var methodology = prepared.Methodology;
        var cause = new Cause(CauseKind.Manual, "methodology:" + id, "install " + methodology.Name);

        var errors = new List<ValidationError>();
        // Plug-in actions (rules and templates) must name a handler a loaded plug-in registered.
        var handlers = _session.Parts.Rules;
        errors.AddRange(prepared.Rules.SelectMany(r => r.Rule.Actions.Concat(r.Rule.Scheduled.Select(s => s.Action)))
            .Concat(prepared.Templates.SelectMany(t => t.Steps.SelectMany(st => st.OnEntry)))
            .OfType<Crm.Abstractions.Automation.PluginAction>()
            .Where(p => !handlers.HasHandler(p.Handler))
            .Select(p => new ValidationError($"methodologies[{id}]", $"an action calls plug-in action handler '{p.Handler}', which no loaded plug-in provides; load the plug-in first.")));
        var book = await unit.FindAsync(Kinds.RuleBook, Kinds.RuleBookId, cancellationToken).ConfigureAwait(false);
        var rules = new List<RuleDefined>();
        foreach (var (rule, json) in prepared.Rules)
        {
            if (book?.Rules.GetValueOrDefault(rule.Id) is not { } existing || existing.Version < rule.Version)
            {
                rules.Add(new RuleDefined(new RuleId(rule.Id), rule.Version, json));
            }
            else if (existing.Version == rule.Version && existing.Json != json)
            {
                errors.Add(new($"methodologies[{id}].rules[{rule.Id}].version",
                    $"the tenant already has rule '{rule.Id}' v{rule.Version} with other content; raise the version in the methodology (or in the tenant) so one replaces the other."));
            }
        }

        if (errors.Count > 0)
        {
            throw new MethodologyValidationException(id, errors);
        }

        foreach (var pipeline in methodology.Pipelines)
        {
            await SessionPipelines.DefineInAsync(unit, pipeline, _session.Parts.Processes.HasHandler, cause, onlyIfChanged: true, cancellationToken).ConfigureAwait(false);
        }

        foreach (var rule in rules)
        {
            await unit.RecordAsync(rule, cause, cancellationToken).ConfigureAwait(false);
        }

        var installed = new MethodologyInstalled(
            methodology.Id,
            methodology.Name,
            [.. methodology.Pipelines.Select(p => p.Id)],
            [.. prepared.Rules.Select(r => $"{r.Rule.Id}@{r.Rule.Version}")],
            [.. prepared.Templates.Select(t => $"{t.Id}@{t.Version}")],
            [.. methodology.Classifiers],
            [.. prepared.Presets.Select(p => p.Json)]);
        var current = await unit.FindAsync(Kinds.Methodology, id, cancellationToken).ConfigureAwait(false);
        if (unit.PendingEvents.Count > 0 || current is null || !SameInstallation(current, installed))
        {
            await unit.RecordAsync(installed, cause, cancellationToken).ConfigureAwait(false);
        }

        if (unit.PendingEvents.Count == 0)
        {
            return current!;
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Methodology, id);
    }

    /// <summary>The client classifiers of the installed methodologies, by methodology id.</summary>
    public async Task<IReadOnlyList<ClientClassifierDefinition>> ListClassifiersAsync(CancellationToken cancellationToken = default) =>
        [.. (await ListInstalledAsync(cancellationToken).ConfigureAwait(false)).SelectMany(m => m.Classifiers)];

    /// <summary>The report presets of the installed methodologies.</summary>
    public async Task<IReadOnlyList<ReportPreset>> ListReportPresetsAsync(CancellationToken cancellationToken = default) =>
        [.. (await ListInstalledAsync(cancellationToken).ConfigureAwait(false)).SelectMany(m => m.ReportPresets.Select(json => new ReportPreset(m.Id, PreparedMethodology.ReadPreset(json))))];

    /// <summary>The methodologies installed in this tenant, in id order.</summary>
    public async Task<IReadOnlyList<InstalledMethodology>> ListInstalledAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<InstalledMethodology>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Methodology.Name, null, cancellationToken).ConfigureAwait(false))
        {
            result.Add((InstalledMethodology)Kinds.Methodology.Read(document));
        }

        return result;
    }

    private static bool SameInstallation(InstalledMethodology current, MethodologyInstalled wanted) =>
        CrmJson.Serialize(new MethodologyInstalled(current.Id, current.Name, current.Pipelines, current.Rules, current.ProcessTemplates, current.Classifiers, current.ReportPresets))
        == CrmJson.Serialize(wanted);
}
