using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Rules;

/// <summary>An action that fires after an offset in business time, unless a condition holds by then (re-checked when it fires).</summary>
/// <param name="After">The offset from the moment the rule triggered.</param>
/// <param name="Action">What to do.</param>
/// <param name="Unless">When this holds at firing time, the action is skipped.</param>
public sealed record ScheduledRuleAction(BusinessDuration After, AutomationAction Action, Condition? Unless = null)
{
    /// <summary>Move the firing into the recipient's working hours (their calendar and time zone).</summary>
    public bool HoldToWorkingHours { get; init; }
}

/// <summary>How a violation is told to the recipient.</summary>
public enum NotificationPolicy
{
    /// <summary>One message per violation, at once.</summary>
    Immediate = 0,
    /// <summary>One message per recipient per day listing all new violations.</summary>
    DailyDigest = 1,
}

/// <summary>The rule's goal and deadline: met when <see cref="MetWhen"/> holds in time, violated otherwise.</summary>
/// <param name="Within">The period in business time from the trigger.</param>
/// <param name="MetWhen">What makes the rule met (e.g. the offer was sent).</param>
public sealed record RuleDeadline(BusinessDuration Within, Condition MetWhen)
{
    /// <summary>Who is told of a violation.</summary>
    public Recipient NotifyOnViolation { get; init; } = Recipient.OwnerHead;
    /// <summary>One message per violation, or a daily digest.</summary>
    public NotificationPolicy Policy { get; init; } = NotificationPolicy.DailyDigest;
}

/// <summary>What an approved exception does.</summary>
public enum ExceptionApproval
{
    /// <summary>The deadline is extended by <see cref="RuleExceptionPolicy.Extension"/>.</summary>
    ExtendDeadline = 0,
    /// <summary>The rule stops for the deal (outcome: exempted).</summary>
    StopRule = 1,
}

/// <summary>
/// How a seller asks for an exception: flag the deal (e.g. <c>Complex</c>) with a reason from the list or "other" with a
/// text; the approver (the owner's head by default) approves or rejects; on approval the deal's
/// <see cref="ApprovedFlag"/> is set and the deadline extended or the rule stopped.
/// </summary>
/// <param name="Flag">The deal classifier the seller sets, e.g. <c>Complex</c>.</param>
/// <param name="Reasons">The reasons to pick from; "other" with a free text is always allowed.</param>
public sealed record RuleExceptionPolicy(string Flag, IReadOnlyList<string> Reasons)
{
    /// <summary>The deal classifier set to <c>yes</c> on approval (<c>no</c> on rejection).</summary>
    public string ApprovedFlag { get; init; } = "RequestApproved";
    /// <summary>What approval does.</summary>
    public ExceptionApproval OnApproval { get; init; } = ExceptionApproval.ExtendDeadline;
    /// <summary>How much an approval extends the deadline.</summary>
    public BusinessDuration Extension { get; init; } = BusinessDuration.WorkingDays(5);
}

/// <summary>
/// A business rule: when an event of <see cref="Trigger"/> about a deal is committed and <see cref="Criteria"/> hold, a
/// rule instance starts for the deal: immediate actions run in the same unit of work, scheduled actions are set as
/// durable timers, and the instance ends in exactly one outcome (met, violated, exempted).
/// </summary>
/// <param name="Id">The rule's id.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Trigger">The event type that triggers it, e.g. <c>DealOpened</c>, <c>DealStageChanged</c>, <c>InvoicePaid</c>, or a deal signal name.</param>
public sealed record RuleDefinition(string Id, string Name, string Trigger)
{
    /// <summary>The version; a redefinition must raise it. Running instances keep theirs.</summary>
    public int Version { get; init; } = 1;
    /// <summary>A filter on the trigger (may read <c>event.&lt;property&gt;</c>).</summary>
    public Condition? When { get; init; }
    /// <summary>Criteria over the deal and client.</summary>
    public Condition? Criteria { get; init; }
    /// <summary>Actions run at once, in the triggering unit of work.</summary>
    public IReadOnlyList<AutomationAction> Actions { get; init; } = [];
    /// <summary>Actions run later.</summary>
    public IReadOnlyList<ScheduledRuleAction> Scheduled { get; init; } = [];
    /// <summary>The rule's goal and deadline, when it has one.</summary>
    public RuleDeadline? Deadline { get; init; }
    /// <summary>How exceptions are asked for and approved, when allowed.</summary>
    public RuleExceptionPolicy? Exceptions { get; init; }
    /// <summary>When true, pending scheduled actions are cancelled when the deal leaves the stage it was in when the rule triggered.</summary>
    public bool BoundToStage { get; init; }

    /// <summary>Starts a fluent definition.</summary>
    public static RuleBuilder Create(string id, string name, string trigger) => new(new RuleDefinition(id, name, trigger));
}

/// <summary>Builds a <see cref="RuleDefinition"/> fluently; <see cref="Build"/> validates it.</summary>
public sealed class RuleBuilder
{
    private RuleDefinition _rule;

    internal RuleBuilder(RuleDefinition rule) => _rule = rule;

    /// <summary>Sets the version.</summary>
    public RuleBuilder Version(int version)
    {
        _rule = _rule with { Version = version };
        return this;
    }

    /// <summary>Filters the trigger.</summary>
    public RuleBuilder When(Condition condition)
    {
        _rule = _rule with { When = condition };
        return this;
    }

    /// <summary>Sets the criteria.</summary>
    public RuleBuilder Criteria(Condition condition)
    {
        _rule = _rule with { Criteria = condition };
        return this;
    }

    /// <summary>Adds an immediate action.</summary>
    public RuleBuilder Then(AutomationAction action)
    {
        _rule = _rule with { Actions = [.. _rule.Actions, action] };
        return this;
    }

    /// <summary>Adds a scheduled action.</summary>
    public RuleBuilder After(BusinessDuration after, AutomationAction action, Condition? unless = null, bool holdToWorkingHours = false)
    {
        _rule = _rule with { Scheduled = [.. _rule.Scheduled, new ScheduledRuleAction(after, action, unless) { HoldToWorkingHours = holdToWorkingHours }] };
        return this;
    }

    /// <summary>Sets the goal and deadline.</summary>
    public RuleBuilder MustMeetWithin(BusinessDuration within, Condition metWhen, NotificationPolicy policy = NotificationPolicy.DailyDigest, Recipient? notify = null)
    {
        _rule = _rule with { Deadline = new RuleDeadline(within, metWhen) { Policy = policy, NotifyOnViolation = notify ?? Recipient.OwnerHead } };
        return this;
    }

    /// <summary>Allows exceptions.</summary>
    public RuleBuilder AllowExceptions(RuleExceptionPolicy policy)
    {
        _rule = _rule with { Exceptions = policy };
        return this;
    }

    /// <summary>Binds scheduled actions to the stage the deal is in when the rule triggers.</summary>
    public RuleBuilder BoundToStage(bool bound = true)
    {
        _rule = _rule with { BoundToStage = bound };
        return this;
    }

    /// <summary>Validates and returns the rule.</summary>
    /// <exception cref="CrmValidationException">The rule is inconsistent; every problem is listed with its path.</exception>
    public RuleDefinition Build()
    {
        RuleValidation.Validate(_rule, "$");
        return _rule;
    }
}
