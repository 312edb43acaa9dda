using System.Collections.Concurrent;
using System.Globalization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Rules;

/// <summary>
/// Runs business rules inside units of work. Rules are indexed by trigger event type, per tenant and rule-book version,
/// so an event costs one dictionary look-up when no rule listens to it. Rule reactions are enqueued one level deeper,
/// so rule cascades are bounded by the kernel's depth limit.
/// </summary>
internal sealed class RuleEngine : IUnitOfWorkReactor
{
    public const string ActionKind = "rule-action";
    public const string DeadlineKind = "rule-deadline";
    public const string DigestKind = "digest-send";
    private readonly IReadOnlyList<RuleDefinition> _codeRules;
    private readonly ConcurrentDictionary<string, CompiledRules> _cache = new(StringComparer.Ordinal);

    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly Crm.Kernel.Processes.ProcessEngine _processes;

    /// <summary>The process engine rules start processes on (and whose tenant settings they read).</summary>
    public Crm.Kernel.Processes.ProcessEngine Processes => _processes;

    public RuleEngine(IEnumerable<RuleDefinition> codeRules, Crm.Kernel.Processes.ProcessEngine processes, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _processes = processes;
        _logger = logger;
        _codeRules = codeRules.ToArray();
        foreach (var rule in _codeRules)
        {
            RuleValidation.Validate(rule, "$");
        }

    }

    public async ValueTask OnEventAsync(UnitOfWork unit, DomainEvent domainEvent, Cause cause, CancellationToken cancellationToken)
    {
        if (domainEvent is RuleDefined or RuleEnabledChanged or DigestItemAdded or DigestSent or NotificationRequested or NotificationRead)
        {
            return;
        }

        var (eventType, deal) = domainEvent is DealSignalRaised signal
            ? (signal.Name, (DealId?)signal.Deal)
            : (domainEvent.GetType().Name, ProcessEngine.DealOf(domainEvent));
        if (deal is not { } dealId)
        {
            return;
        }

        var rules = await RulesAsync(unit, cancellationToken).ConfigureAwait(false);
        if (rules.ByTrigger.TryGetValue(eventType, out var triggered))
        {
            foreach (var rule in triggered)
            {
                unit.Enqueue($"rule {rule.Id} on {eventType} of deal {dealId}", (u, ct) => TryStartAsync(u, rule, dealId, domainEvent, ct));
            }
        }

        if (rules.WatchesOutcomes && domainEvent is not (RuleTriggered or RuleOutcomeRecorded or RuleScheduledActionDone or RuleExceptionRequested or RuleExceptionDecided))
        {
            unit.Enqueue($"rule outcomes of deal {dealId}", (u, ct) => CheckOutcomesAsync(u, dealId, ct));
        }
    }

    /// <summary>The enabled rules of the unit's tenant (stored ones plus code ones), indexed by trigger.</summary>
    public async ValueTask<CompiledRules> RulesAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var book = await unit.FindAsync(Kinds.RuleBook, Kinds.RuleBookId, cancellationToken).ConfigureAwait(false);
        var version = book?.Version ?? 0;
        var key = unit.Tenant.Value;
        if (_cache.TryGetValue(key, out var cached) && cached.BookVersion == version)
        {
            return cached;
        }

        var compiled = new CompiledRules(version, book, _codeRules);
        _cache[key] = compiled;
        if (_logger is not null)
        {
            foreach (var (rule, problem) in compiled.Broken)
            {
                BrokenRule(_logger, rule, unit.Tenant.Value, problem, null);
            }
        }

        return compiled;
    }

    private static readonly Action<Microsoft.Extensions.Logging.ILogger, string, string, string, Exception?> BrokenRule =
        Microsoft.Extensions.Logging.LoggerMessage.Define<string, string, string>(Microsoft.Extensions.Logging.LogLevel.Warning, new Microsoft.Extensions.Logging.EventId(1701, "BrokenRule"),
            "Stored rule {Rule} of tenant {Tenant} cannot be used and is skipped (the tenant's other rules and commands run): {Problem} Define a corrected, higher version or disable it.");

    /// <summary>The handler of a plug-in rule action, when one is loaded.</summary>
    public bool HasHandler(string name) => _processes.HasHandler(name);

    public IActionHandler? FindHandler(string name) => _processes.FindHandler(name);

    /// <summary>The definition a rule instance runs with (its own version).</summary>
    public async ValueTask<RuleDefinition?> DefinitionAsync(UnitOfWork unit, RuleInstance instance, CancellationToken cancellationToken)
    {
        var rules = await RulesAsync(unit, cancellationToken).ConfigureAwait(false);
        return rules.Version(instance.Rule.Value, instance.RuleVersion);
    }

    private async ValueTask TryStartAsync(UnitOfWork unit, RuleDefinition rule, DealId dealId, DomainEvent trigger, CancellationToken cancellationToken)
    {
        var deal = await unit.FindAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        if (deal is null)
        {
            return;
        }

        var subject = new RuleSubject(deal, await unit.FindAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false), trigger);
        if (!CompiledRules.Matches(rule, subject))
        {
            return;
        }

        // One running instance of a rule per deal.
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.RuleInstance.Name, new IndexEntry("active-deal", dealId.Value), cancellationToken).ConfigureAwait(false))
        {
            var existing = await unit.GetAsync(Kinds.RuleInstance, document.Id, cancellationToken).ConfigureAwait(false);
            if (existing.Rule.Value == rule.Id && existing.Outcome == RuleOutcome.Pending)
            {
                return;
            }
        }

        var id = Guid.NewGuid().ToString("N");
        var calendar = await CalendarOfAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false);
        var deadline = rule.Deadline is { } d ? d.Within.AddTo(unit.Now, calendar) : (Instant?)null;
        var cause = Cause.Rule(rule.Id, rule.Name);
        var instance = (RuleInstance)(await unit.RecordAsync(new RuleTriggered(id, new RuleId(rule.Id), rule.Version, deal.Id, deal.Stage, deadline, rule.Scheduled.Count), cause, cancellationToken).ConfigureAwait(false))!;
        if (deadline is { } due)
        {
            unit.SetTimer(new ScheduledTimer($"rule:{id}:deadline", unit.Tenant, due, DeadlineKind, id));
        }

        for (var i = 0; i < rule.Scheduled.Count; i++)
        {
            var scheduled = rule.Scheduled[i];
            var at = scheduled.After.AddTo(unit.Now, calendar);
            if (scheduled.HoldToWorkingHours)
            {
                var recipient = await RecipientAsync(unit, deal, scheduled.Action, cancellationToken).ConfigureAwait(false);
                at = (await CalendarOfAsync(unit, recipient ?? deal.Owner, cancellationToken).ConfigureAwait(false)).ClampToWorkingHours(at);
            }

            unit.SetTimer(new ScheduledTimer($"rule:{id}:action:{i}", unit.Tenant, at, ActionKind, $"{id}\n{i}"));
        }

        foreach (var action in rule.Actions)
        {
            await RunAsync(unit, rule, deal.Id, action, cause, cancellationToken).ConfigureAwait(false);
        }

        if (deadline is null && rule.Scheduled.Count == 0)
        {
            await unit.RecordAsync(new RuleOutcomeRecorded(instance.Id, "met", "actions done"), cause, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends running instances of a deal whose goal is now met, or that no longer apply (bound to a stage the deal left).</summary>
    private async ValueTask CheckOutcomesAsync(UnitOfWork unit, DealId dealId, CancellationToken cancellationToken)
    {
        var deal = await unit.FindAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        if (deal is null)
        {
            return;
        }

        var ids = new List<string>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.RuleInstance.Name, new IndexEntry("active-deal", dealId.Value), cancellationToken).ConfigureAwait(false))
        {
            ids.Add(document.Id);
        }

        foreach (var id in ids)
        {
            var instance = await unit.GetAsync(Kinds.RuleInstance, id, cancellationToken).ConfigureAwait(false);
            if (instance.Outcome != RuleOutcome.Pending || await DefinitionAsync(unit, instance, cancellationToken).ConfigureAwait(false) is not { } rule)
            {
                continue;
            }

            var subject = new RuleSubject(deal, await unit.FindAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false));
            var cause = Cause.Rule(rule.Id, rule.Name);
            if (rule.Deadline is { } d && d.MetWhen.IsTrue(subject))
            {
                CancelTimers(unit, instance, rule);
                await unit.RecordAsync(new RuleOutcomeRecorded(id, "met", "met in time"), cause, cancellationToken).ConfigureAwait(false);
            }
            else if (rule.BoundToStage && deal.Stage != instance.Stage)
            {
                CancelTimers(unit, instance, rule);
                await unit.RecordAsync(new RuleOutcomeRecorded(id, "exempted", $"deal left stage {instance.Stage}"), cause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static void CancelTimers(UnitOfWork unit, RuleInstance instance, RuleDefinition rule)
    {
        unit.CancelTimer($"rule:{instance.Id}:deadline");
        for (var i = 0; i < rule.Scheduled.Count; i++)
        {
            unit.CancelTimer($"rule:{instance.Id}:action:{i}");
        }
    }

    public async ValueTask RunAsync(UnitOfWork unit, RuleDefinition rule, DealId dealId, AutomationAction action, Cause cause, CancellationToken cancellationToken)
    {
        var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        await _processes.Actions.RunOnDealAsync(unit, deal, action, cause, AutomationSite.Rule, rule.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a violation to the recipient's digest of the day; the first item of a day sets the sending timer.</summary>
    public async ValueTask AddToDigestAsync(UnitOfWork unit, UserId recipient, string subject, string text, Cause cause, CancellationToken cancellationToken)
    {
        var calendar = await CalendarOfAsync(unit, recipient, cancellationToken).ConfigureAwait(false);
        var day = unit.Now.InZone(calendar.TimeZone).Date;
        var id = $"{recipient}:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        var existing = await unit.FindAsync(Kinds.Digest, id, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new DigestItemAdded(id, recipient, day, subject, text), cause, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            unit.SetTimer(new ScheduledTimer("digest:" + id, unit.Tenant, calendar.NextWorkingDayAt(unit.Now, (await _processes.Configuration.NotificationPolicyAsync(unit, cancellationToken).ConfigureAwait(false)).DigestAt), DigestKind, id));
        }
    }

    /// <summary>The user's calendar: the tenant's (else the host's), in the user's own zone and hours (see <c>SessionConfiguration</c>).</summary>
    public ValueTask<BusinessCalendar> CalendarOfAsync(UnitOfWork unit, UserId user, CancellationToken cancellationToken) =>
        _processes.Configuration.CalendarOfAsync(unit, user, cancellationToken);

    public static async ValueTask<UserId?> RecipientAsync(UnitOfWork unit, Deal deal, Recipient recipient, CancellationToken cancellationToken) => recipient.Kind switch
    {
        RecipientKind.DealOwner => deal.Owner,
        RecipientKind.OwnerHead => await HeadOrOwnerAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false),
        RecipientKind.User when recipient.Name is not null => new UserId(recipient.Name),
        _ => null,
    };

    private static ValueTask<UserId?> RecipientAsync(UnitOfWork unit, Deal deal, AutomationAction action, CancellationToken cancellationToken) => action switch
    {
        Notify n => RecipientAsync(unit, deal, n.To, cancellationToken),
        CreateTask t => RecipientAsync(unit, deal, t.Assignee, cancellationToken),
        _ => ValueTask.FromResult<UserId?>(deal.Owner),
    };

    public static async ValueTask<UserId?> HeadOrOwnerAsync(UnitOfWork unit, UserId owner, CancellationToken cancellationToken)
    {
        try
        {
            return await DealOperations.HeadOfAsync(unit, owner, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidStateException)
        {
            return owner;
        }
    }
}

/// <summary>A tenant's enabled rules, indexed by trigger.</summary>
internal sealed class CompiledRules
{
    private readonly Dictionary<string, RuleDefinition> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _broken = new(StringComparer.Ordinal);

    public CompiledRules(long bookVersion, RuleBook? book, IReadOnlyList<RuleDefinition> codeRules)
    {
        BookVersion = bookVersion;
        Book = book;
        var enabled = new List<RuleDefinition>(codeRules);
        foreach (var rule in codeRules)
        {
            _versions[$"{rule.Id}@{rule.Version}"] = rule;
        }

        if (book is not null)
        {
            // A stored version that no longer loads (data from an older kernel, or written around validation) is
            // reported broken and skipped: it must never stop the tenant's other commands.
            foreach (var (key, json) in book.Versions)
            {
                if (_versions.ContainsKey(key))
                {
                    continue;
                }

                try
                {
                    _versions[key] = RuleJson.LoadStored(json);
                }
                catch (CrmValidationException e)
                {
                    _broken[key] = e.Message;
                }
            }

            foreach (var (id, stored) in book.Rules)
            {
                var key = $"{id}@{stored.Version}";
                if (_versions.TryGetValue(key, out var rule))
                {
                    if (stored.Enabled)
                    {
                        enabled.Add(rule);
                    }
                }
                else
                {
                    _broken.TryAdd(key, $"Invalid input: the stored JSON of version {stored.Version} is missing.");
                }
            }
        }

        ByTrigger = enabled.GroupBy(r => r.Trigger, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        All = enabled;
        WatchesOutcomes = _versions.Values.Any(r => r.Deadline is not null || r.BoundToStage);
    }

    public long BookVersion { get; }

    public RuleBook? Book { get; }

    public IReadOnlyDictionary<string, RuleDefinition[]> ByTrigger { get; }

    public IReadOnlyList<RuleDefinition> All { get; }

    public bool WatchesOutcomes { get; }

    public RuleDefinition? Version(string rule, int version) => _versions.GetValueOrDefault($"{rule}@{version}");

    /// <summary>Why a stored version cannot be used, or null when it loads.</summary>
    public string? Problem(string rule, int version) => _broken.GetValueOrDefault($"{rule}@{version}");

    /// <summary>Stored versions that cannot be used, by <c>id@version</c>, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Broken => _broken;

    /// <summary>True when the rule's trigger filter and criteria hold for the subject.</summary>
    public static bool Matches(RuleDefinition rule, RuleSubject subject) =>
        rule.When?.IsTrue(subject) != false && rule.Criteria?.IsTrue(subject) != false;

    /// <summary>How many enabled rules an event of <paramref name="eventType"/> about the subject starts (the matching the engine does per event).</summary>
    public int CountMatches(string eventType, RuleSubject subject)
    {
        if (!ByTrigger.TryGetValue(eventType, out var rules))
        {
            return 0;
        }

        var count = 0;
        foreach (var rule in rules)
        {
            if (Matches(rule, subject))
            {
                count++;
            }
        }

        return count;
    }
}
