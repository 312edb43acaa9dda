using Crm.Kernel.Scheduling;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Rules;

/// <summary>A stored rule as listed: its definition, version and state.</summary>
/// <param name="Definition">The rule.</param>
/// <param name="Enabled">Whether it runs.</param>
/// <param name="InCode">True for rules registered in code (<c>crm.AddRule</c>), which cannot be changed per tenant.</param>
/// <remarks>
/// A stored rule whose version cannot be used (its JSON does not load, e.g. data written by an older kernel) is listed
/// with <see cref="IsBroken"/> set and <see cref="Problem"/> saying why; its <see cref="Definition"/> then holds only the
/// id, version and, when readable, the name and trigger. A broken rule never runs; the tenant's other rules and commands do.
/// </remarks>
public sealed record RuleInfo(RuleDefinition Definition, bool Enabled, bool InCode)
{
    /// <summary>Why the stored version cannot be used, or null when it can.</summary>
    public string? Problem { get; init; }

    /// <summary>True when the stored version cannot be used (see <see cref="Problem"/>); it does not run.</summary>
    public bool IsBroken => Problem is not null;
}

/// <summary>What a rule would do to one open deal now.</summary>
/// <param name="Deal">The deal.</param>
/// <param name="WouldDo">The actions, in words, with when they would happen.</param>
public sealed record DryRunMatch(Deal Deal, IReadOnlyList<string> WouldDo);

/// <summary>One exception asked for under a rule.</summary>
/// <param name="Deal">The deal.</param>
/// <param name="Seller">The deal's owner.</param>
/// <param name="Flag">The flag, e.g. Complex.</param>
/// <param name="Reason">The reason given.</param>
/// <param name="Status">Pending, approved or rejected.</param>
public sealed record RuleExceptionEntry(DealId Deal, UserId Seller, string Flag, string Reason, ExceptionStatus Status);

/// <summary>Per seller: how many of their deals the rule ran on, how many they flagged, and whether that share is suspicious.</summary>
/// <param name="Seller">The seller.</param>
/// <param name="Deals">Deals the rule ran on.</param>
/// <param name="Flagged">Deals flagged with the exception flag.</param>
/// <param name="Share">Flagged ÷ deals.</param>
/// <param name="Suspicious">True when the share is at or above the threshold.</param>
public sealed record SellerExceptionShare(UserId Seller, int Deals, int Flagged, decimal Share, bool Suspicious);

/// <summary>The compliance report of one rule: its deals grouped by outcome, the exceptions, and each seller's share of flagged deals.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="Met">Deals where the rule was met in time.</param>
/// <param name="Violated">Deals where it was violated.</param>
/// <param name="Exempted">Deals exempted.</param>
/// <param name="Pending">Deals still running.</param>
/// <param name="Exceptions">Exceptions asked for, with reasons.</param>
/// <param name="Sellers">Per seller shares, in seller order.</param>
public sealed record RuleCompliance(
    RuleId Rule,
    IReadOnlyList<DealId> Met,
    IReadOnlyList<DealId> Violated,
    IReadOnlyList<DealId> Exempted,
    IReadOnlyList<DealId> Pending,
    IReadOnlyList<RuleExceptionEntry> Exceptions,
    IReadOnlyList<SellerExceptionShare> Sellers);

/// <summary>Business rules as one session sees them. Administrators define, enable and disable; sellers ask for exceptions; heads decide.</summary>
public sealed class SessionRules
{
    private readonly CrmSession _session;

    internal SessionRules(CrmSession session) => _session = session;

    private RuleEngine Engine => _session.Parts.Rules;

    /// <summary>
    /// Defines a rule for the tenant, or a new version of it (the version must grow). Administrators only. Besides the
    /// rule's own validation, what it refers to must resolve in the tenant: a stage it moves to and a goal it achieves
    /// exist in the pipeline its criteria name (<c>deal.pipeline</c> equals …), or in one of the tenant's pipelines when
    /// it names none; a process it starts is registered; a plug-in action it calls is loaded.
    /// </summary>
    /// <exception cref="CrmValidationException">The rule is invalid, holds C# code, refers to what does not exist, or its version does not grow; each problem has its JSON path.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<RuleInfo> DefineAsync(RuleDefinition rule, CancellationToken cancellationToken = default)
    {
        RuleValidation.Validate(rule, "$");
        var json = RuleJson.Write(rule);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define rules");
        await CheckReferencesAsync(unit, rule, cancellationToken).ConfigureAwait(false);
        var book = await unit.FindAsync(Kinds.RuleBook, Kinds.RuleBookId, cancellationToken).ConfigureAwait(false);
        if (book?.Rules.GetValueOrDefault(rule.Id) is { } existing && rule.Version <= existing.Version)
        {
            throw new CrmValidationException("version", $"rule '{rule.Id}' is at version {existing.Version}; a redefinition needs a higher version.");
        }

        await unit.RecordAsync(new RuleDefined(new RuleId(rule.Id), rule.Version, json), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RuleInfo(rule, unit.Result(Kinds.RuleBook, Kinds.RuleBookId).Rules[rule.Id].Enabled, false);
    }

    /// <summary>Enables or disables a stored rule. Administrators only. Running instances finish either way.</summary>
    public async Task SetEnabledAsync(RuleId ruleId, bool enabled, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("enable or disable rules");
        var book = await unit.FindAsync(Kinds.RuleBook, Kinds.RuleBookId, cancellationToken).ConfigureAwait(false);
        if (book?.Rules.ContainsKey(ruleId.Value) != true)
        {
            throw new EntityNotFoundException("rule", ruleId.Value);
        }

        await unit.RecordAsync(new RuleEnabledChanged(ruleId, enabled), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The tenant's rules (stored and in code) with their state. A stored rule whose version cannot be used is listed
    /// with <see cref="RuleInfo.IsBroken"/> and the reason; listing never fails because of one.
    /// </summary>
    public async Task<IReadOnlyList<RuleInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var rules = await Engine.RulesAsync(unit, cancellationToken).ConfigureAwait(false);
        var result = new List<RuleInfo>();
        foreach (var (id, stored) in rules.Book?.Rules ?? new Dictionary<string, StoredRule>())
        {
            result.Add(rules.Version(id, stored.Version) is { } definition
                ? new RuleInfo(definition, stored.Enabled, false)
                : new RuleInfo(Placeholder(id, stored), stored.Enabled, false) { Problem = rules.Problem(id, stored.Version) ?? "the stored version cannot be read." });
        }

        result.AddRange(rules.All.Where(r => rules.Book?.Rules.ContainsKey(r.Id) != true).Select(r => new RuleInfo(r, true, true)));
        return result;
    }

    private async Task CheckReferencesAsync(UnitOfWork unit, RuleDefinition rule, CancellationToken cancellationToken)
    {
        var pipelines = new List<PipelineDefinition>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Pipeline.Name, null, cancellationToken).ConfigureAwait(false))
        {
            pipelines.Add(((Pipelines.StoredPipeline)Kinds.Pipeline.Read(document)).Definition);
        }

        var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        NamedPipelines(rule.When, named);
        NamedPipelines(rule.Criteria, named);
        var scope = named.Count == 0 ? pipelines : pipelines.Where(p => named.Contains(p.Id.Value)).ToList();
        var scopeText = scope.Count == 0 ? "" : string.Join(", ", scope.Select(p => p.Id.Value));
        var errors = new List<ValidationError>();
        var templates = (await _session.Parts.Processes.Configuration.TemplatesAsync(unit, cancellationToken).ConfigureAwait(false)).Select(t => t.Template.Id).ToHashSet(StringComparer.Ordinal);
        var actions = rule.Actions.Select((a, i) => (a, $"$.actions[{i}]")).Concat(rule.Scheduled.Select((s, i) => (s.Action, $"$.scheduled[{i}].action")));
        foreach (var (action, path) in actions)
        {
            switch (action)
            {
                case MoveToStage move when scope.Count > 0 && !scope.Any(p => p.Stages.Any(st => st.Id == move.Stage)):
                    errors.Add(new(path + ".stage", $"unknown stage '{move.Stage}' in pipeline {scopeText}."));
                    break;
                case AchieveGoal goal when scope.Count > 0 && !scope.Any(p => p.Stages.Any(st => st.Goals.Any(g => g.Id == goal.Goal))):
                    errors.Add(new(path + ".goal", $"no stage of pipeline {scopeText} has goal '{goal.Goal}'."));
                    break;
                case StartProcess start when !templates.Contains(start.Template):
                    errors.Add(new(path + ".template", $"no process template '{start.Template}' is registered or defined for this tenant; define it (session.Configuration), register it, or install the methodology that ships it first."));
                    break;
                case PluginAction plugin when !Engine.HasHandler(plugin.Handler):
                    errors.Add(new(path + ".handler", $"no loaded plug-in provides action handler '{plugin.Handler}'; load the plug-in (an IActionHandler named so) first."));
                    break;
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }

    /// <summary>Pipelines a condition pins the deal to: <c>deal.pipeline</c> equals/in, alone or in a top-level <c>all</c>.</summary>
    private static void NamedPipelines(Condition? condition, HashSet<string> named)
    {
        switch (condition)
        {
            case FieldEquals { Field: "deal.pipeline" } e:
                named.Add(e.Value);
                break;
            case FieldIn { Field: "deal.pipeline" } i:
                named.UnionWith(i.Values);
                break;
            case AllOf all:
                foreach (var c in all.Conditions)
                {
                    if (c is FieldEquals or FieldIn)
                    {
                        NamedPipelines(c, named);
                    }
                }

                break;
        }
    }

    /// <summary>What can be read of a stored rule that does not load: its id and version, and its name and trigger if present.</summary>
    private static RuleDefinition Placeholder(string id, StoredRule stored)
    {
        string? name = null, trigger = null;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(stored.Json ?? "{}");
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == System.Text.Json.JsonValueKind.String && property.NameEquals("name"))
                    {
                        name = property.Value.GetString();
                    }
                    else if (property.Value.ValueKind == System.Text.Json.JsonValueKind.String && property.NameEquals("trigger"))
                    {
                        trigger = property.Value.GetString();
                    }
                }
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            // Unreadable JSON, or a name that is not valid UTF-16 (a lone surrogate): the id and version are all there is.
            name = null;
            trigger = null;
        }

        return new RuleDefinition(id, string.IsNullOrWhiteSpace(name) ? id : name, trigger ?? "") { Version = stored.Version };
    }

    /// <summary>
    /// Which open deals visible to the session the rule's criteria match now, and what would happen to each (nothing is
    /// written). The trigger's own filter is not evaluated: it needs the event.
    /// </summary>
    public async Task<IReadOnlyList<DryRunMatch>> DryRunAsync(RuleDefinition rule, CancellationToken cancellationToken = default)
    {
        RuleValidation.Validate(rule, "$");
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<DryRunMatch>();
        await foreach (var deal in SessionDeals.QueryVisibleAsync(unit, actor, new DealQuery { Status = DealStatus.Open }, cancellationToken).ConfigureAwait(false))
        {
            var subject = new RuleSubject(deal, await unit.FindAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false));
            if (rule.Criteria?.IsTrue(subject) == false)
            {
                continue;
            }

            var calendar = await Engine.CalendarOfAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false);
            var plan = new List<string>();
            plan.AddRange(rule.Actions.Select(a => "now: " + Describe(a)));
            plan.AddRange(rule.Scheduled.Select(s => $"at {s.After.AddTo(unit.Now, calendar)}: {Describe(s.Action)}{(s.Unless is null ? "" : $" (unless {(s.Unless.IsTrue(subject) ? "— already true, would skip" : "condition holds then")})")}"));
            if (rule.Deadline is { } d)
            {
                plan.Add($"deadline {d.Within.AddTo(unit.Now, calendar)}: {(d.MetWhen.IsTrue(subject) ? "already met" : "violation unless met by then")}");
            }

            result.Add(new DryRunMatch(deal, plan));
        }

        return result;
    }

    /// <summary>Dry-runs a stored or code rule by id.</summary>
    /// <exception cref="EntityNotFoundException">No rule has this id.</exception>
    /// <exception cref="InvalidStateException">The rule's stored version is broken (<see cref="RuleInfo.IsBroken"/>) and cannot run.</exception>
    public async Task<IReadOnlyList<DryRunMatch>> DryRunAsync(RuleId ruleId, CancellationToken cancellationToken = default)
    {
        var info = (await ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(r => r.Definition.Id == ruleId.Value)
            ?? throw new EntityNotFoundException("rule", ruleId.Value);
        if (info.IsBroken)
        {
            throw new InvalidStateException($"Rule '{ruleId}' v{info.Definition.Version} is broken and does not run: {info.Problem} Define a corrected, higher version.");
        }

        return await DryRunAsync(info.Definition, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Flags a deal for an exception (e.g. Complex) under the running rules that allow one: the reason is one of the rule's
    /// reasons, or <c>other</c> with a text. The approver (the owner's head) gets an approval request.
    /// </summary>
    /// <returns>The rule instances the request was filed for.</returns>
    /// <exception cref="CrmValidationException">The reason is not in the list, or "other" has no text, or no running rule allows exceptions.</exception>
    public async Task<IReadOnlyList<RuleInstance>> RequestExceptionAsync(DealId deal, string reason, string? otherText = null, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(dealState.Owner, "ask for a rule exception", $"deal '{deal}'");
        var filed = new List<string>();
        foreach (var instance in await ActiveAsync(unit, deal, cancellationToken).ConfigureAwait(false))
        {
            if (await Engine.DefinitionAsync(unit, instance, cancellationToken).ConfigureAwait(false) is not { Exceptions: { } policy } rule
                || instance.ExceptionStatus is ExceptionStatus.Pending or ExceptionStatus.Approved)
            {
                continue;
            }

            string text;
            if (string.Equals(reason, "other", StringComparison.OrdinalIgnoreCase))
            {
                text = string.IsNullOrWhiteSpace(otherText) || otherText.Length > 500
                    ? throw new CrmValidationException("otherText", "describe the reason (1 to 500 characters) when it is 'other'.")
                    : "other: " + otherText.Trim();
            }
            else
            {
                text = policy.Reasons.FirstOrDefault(r => string.Equals(r, reason, StringComparison.OrdinalIgnoreCase))
                    ?? throw new CrmValidationException("reason", $"'{reason}' is not a reason of rule '{rule.Id}'; pick one of: {string.Join(", ", policy.Reasons)}, or 'other' with a text.");
            }

            var approver = await RuleEngine.RecipientAsync(unit, dealState, Recipient.OwnerHead, cancellationToken).ConfigureAwait(false) ?? dealState.Owner;
            var cause = Cause.Rule(rule.Id, rule.Name);
            await unit.RecordAsync(new DealClassifierSet(deal, policy.Flag, text), Cause.Manual, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new RuleExceptionRequested(instance.Id, policy.Flag, text, approver), Cause.Manual, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new NotificationRequested(approver, $"Approval request: {policy.Flag} — {dealState.Title ?? deal.Value}",
                $"{dealState.Owner} flags deal '{dealState.Title ?? deal.Value}' as {policy.Flag} under rule '{rule.Name}': {text}. Approve or reject it.", deal), cause, cancellationToken).ConfigureAwait(false);
            filed.Add(instance.Id);
        }

        if (filed.Count == 0)
        {
            throw new CrmValidationException("deal", $"no running rule on deal '{deal}' takes an exception request now.");
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return filed.Select(id => unit.Result(Kinds.RuleInstance, id)).ToArray();
    }

    /// <summary>
    /// The approver approves or rejects an exception. Approval sets the deal's approved flag and extends the deadline or
    /// stops the rule (as the rule says); rejection lets the rule go on. The seller is told either way.
    /// </summary>
    /// <exception cref="AccessDeniedException">The user is not the approver, an administrator, or a holder of <see cref="Permission.ApproveDiscounts"/>.</exception>
    /// <exception cref="InvalidStateException">No request is pending.</exception>
    public async Task<RuleInstance> DecideExceptionAsync(string instanceId, bool approve, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var instance = await unit.GetAsync(Kinds.RuleInstance, instanceId, cancellationToken).ConfigureAwait(false);
        if (instance.ExceptionApprover != actor.Id && !actor.Has(Permission.ApproveDiscounts))
        {
            throw new AccessDeniedException(actor.Id, "decide on this exception", $"rule instance '{instanceId}'");
        }

        if (instance.ExceptionStatus != ExceptionStatus.Pending || instance.Outcome != RuleOutcome.Pending)
        {
            throw new InvalidStateException($"Rule instance '{instanceId}' has no pending exception request.");
        }

        var rule = await Engine.DefinitionAsync(unit, instance, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("rule", instance.Rule.Value);
        var policy = rule.Exceptions!;
        var deal = await unit.GetAsync(Kinds.Deal, instance.Deal.Value, cancellationToken).ConfigureAwait(false);
        var cause = Cause.Rule(rule.Id, rule.Name);
        await unit.RecordAsync(new DealClassifierSet(deal.Id, policy.ApprovedFlag, approve ? "yes" : "no"), cause, cancellationToken).ConfigureAwait(false);
        Instant? newDeadline = null;
        if (approve && policy.OnApproval == ExceptionApproval.ExtendDeadline && instance.Deadline is { } deadline)
        {
            var calendar = await Engine.CalendarOfAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false);
            newDeadline = policy.Extension.AddTo(deadline, calendar);
            unit.SetTimer(new ScheduledTimer($"rule:{instance.Id}:deadline", unit.Tenant, newDeadline.Value, RuleEngine.DeadlineKind, instance.Id));
        }

        await unit.RecordAsync(new RuleExceptionDecided(instance.Id, approve, newDeadline), Cause.Manual, cancellationToken).ConfigureAwait(false);
        if (approve && policy.OnApproval == ExceptionApproval.StopRule)
        {
            RuleEngine.CancelTimers(unit, instance, rule);
            await unit.RecordAsync(new RuleOutcomeRecorded(instance.Id, "exempted", $"exception approved: {instance.ExceptionReason}"), cause, cancellationToken).ConfigureAwait(false);
        }

        await unit.RecordAsync(new NotificationRequested(deal.Owner, approve ? $"Request approved: {deal.Title ?? deal.Id.Value}" : $"Request rejected: {deal.Title ?? deal.Id.Value}",
            approve
                ? $"{actor.Id} approved the {policy.Flag} exception under '{rule.Name}'" + (newDeadline is { } nd ? $"; the deadline is now {nd}." : "; the rule stops for this deal.")
                : $"{actor.Id} rejected the {policy.Flag} exception under '{rule.Name}'; the rule goes on.", deal.Id), cause, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.RuleInstance, instanceId);
    }

    /// <summary>The rule instances of a visible deal.</summary>
    public async Task<IReadOnlyList<RuleInstance>> ListInstancesAsync(DealId deal, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        if (dealState is null || !actor.CanSee(dealState.Owner))
        {
            throw new EntityNotFoundException("deal", deal.Value);
        }

        var result = new List<RuleInstance>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.RuleInstance.Name, new IndexEntry("deal", deal.Value), cancellationToken).ConfigureAwait(false))
        {
            result.Add((RuleInstance)Kinds.RuleInstance.Read(document));
        }

        return result;
    }

    /// <summary>
    /// The rule's compliance over the deals visible to the session: deals grouped by outcome, the exceptions with reasons,
    /// and per seller the share of deals flagged, suspicious at or above <paramref name="suspiciousShare"/>.
    /// </summary>
    public async Task<RuleCompliance> GetComplianceAsync(RuleId ruleId, decimal suspiciousShare = 0.4m, CancellationToken cancellationToken = default)
    {
        if (suspiciousShare is < 0m or > 1m)
        {
            throw new CrmValidationException("suspiciousShare", $"must be between 0 and 1; got {suspiciousShare}.");
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var byOutcome = new Dictionary<RuleOutcome, List<DealId>> { [RuleOutcome.Met] = [], [RuleOutcome.Violated] = [], [RuleOutcome.Exempted] = [], [RuleOutcome.Pending] = [] };
        var exceptions = new List<RuleExceptionEntry>();
        var sellers = new SortedDictionary<string, (int Deals, int Flagged)>(StringComparer.Ordinal);
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.RuleInstance.Name, new IndexEntry("rule", ruleId.Value), cancellationToken).ConfigureAwait(false))
        {
            var instance = (RuleInstance)Kinds.RuleInstance.Read(document);
            var deal = await unit.FindAsync(Kinds.Deal, instance.Deal.Value, cancellationToken).ConfigureAwait(false);
            if (deal is null || !actor.CanSee(deal.Owner))
            {
                continue;
            }

            byOutcome[instance.Outcome].Add(deal.Id);
            var counts = sellers.GetValueOrDefault(deal.Owner.Value);
            var flagged = instance.ExceptionFlag is not null;
            sellers[deal.Owner.Value] = (counts.Deals + 1, counts.Flagged + (flagged ? 1 : 0));
            if (flagged)
            {
                exceptions.Add(new RuleExceptionEntry(deal.Id, deal.Owner, instance.ExceptionFlag!, instance.ExceptionReason ?? "", instance.ExceptionStatus));
            }
        }

        var shares = sellers.Select(s =>
        {
            var share = s.Value.Deals == 0 ? 0m : Math.Round((decimal)s.Value.Flagged / s.Value.Deals, 4);
            return new SellerExceptionShare(new UserId(s.Key), s.Value.Deals, s.Value.Flagged, share, share >= suspiciousShare && s.Value.Flagged > 0);
        }).ToArray();
        return new RuleCompliance(ruleId, byOutcome[RuleOutcome.Met], byOutcome[RuleOutcome.Violated], byOutcome[RuleOutcome.Exempted], byOutcome[RuleOutcome.Pending], exceptions, shares);
    }

    private static async ValueTask<List<RuleInstance>> ActiveAsync(UnitOfWork unit, DealId deal, CancellationToken cancellationToken)
    {
        var result = new List<RuleInstance>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.RuleInstance.Name, new IndexEntry("active-deal", deal.Value), cancellationToken).ConfigureAwait(false))
        {
            result.Add(await unit.GetAsync(Kinds.RuleInstance, document.Id, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private static string Describe(AutomationAction action) => action switch
    {
        Notify n => $"notify {n.To} '{n.Subject}'",
        CreateTask t => $"task for {t.Assignee} '{t.Title}' due in {t.Due}",
        SetField f => $"set {f.Field} = {f.Value}",
        MoveToStage m => $"move to stage {m.Stage}",
        AssignOwner o => $"assign the deal to {o.To}",
        StartProcess p => $"start process {p.Template}",
        AchieveGoal g => $"achieve goal {g.Goal}",
        PluginAction p => $"plug-in action {p.Handler}",
        _ => AutomationValidation.Kind(action),
    };
}
