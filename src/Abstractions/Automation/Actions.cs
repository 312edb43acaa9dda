namespace Crm.Abstractions.Automation;

/// <summary>
/// Something the kernel does by itself: the one action model of goals (reactions), process steps (on-entry actions)
/// and rules (immediate and scheduled actions). JSON: an object whose <c>"action"</c> names the kind, e.g.
/// <c>{"action":"notify","to":"dealOwner","subject":"…","body":"…"}</c> (see docs/automation.md and
/// docs/schema/crm-automation.schema.json). A kind that does not apply where it is used (e.g. <see cref="WaitForEvent"/>
/// outside a process step) is refused when the goal, rule or template is defined.
/// </summary>
public abstract record AutomationAction
{
    private protected AutomationAction()
    {
    }
}

/// <summary>Sends a notification. In rules, <c>{deal}</c>, <c>{title}</c>, <c>{amount}</c>, <c>{owner}</c> in the texts are filled in.</summary>
/// <param name="Subject">The subject.</param>
/// <param name="Body">The body.</param>
/// <param name="To">Who gets it: the deal owner (default), the owner's head, a user, or a process role.</param>
public sealed record Notify(string Subject, string Body, Recipient To = default) : AutomationAction;

/// <summary>Creates a work task linked to the deal, due a business duration after the action runs.</summary>
/// <param name="Title">The task's title.</param>
/// <param name="Due">When it is due, counted from when the action runs, in the assignee's business calendar.</param>
/// <param name="Assignee">Who gets it: the deal owner (default), the owner's head, a user, or a process role.</param>
public sealed record CreateTask(string Title, BusinessDuration Due, Recipient Assignee = default) : AutomationAction;

/// <summary>
/// Sets a value by field path (the paths of <see cref="Condition"/>): <c>deal.field.&lt;name&gt;</c>,
/// <c>deal.classifier.&lt;name&gt;</c>, <c>client.classifier.&lt;name&gt;</c>, (process variables are read by conditions, not set by actions).
/// </summary>
/// <param name="Field">The field path.</param>
/// <param name="Value">The value; null clears it (not allowed for a client classifier).</param>
public sealed record SetField(string Field, string? Value) : AutomationAction;

/// <summary>Moves the deal to a stage (a validated move: required fields are checked).</summary>
/// <param name="Stage">The target stage.</param>
public sealed record MoveToStage(StageId Stage) : AutomationAction;

/// <summary>Hands the deal to a user, to the next member of a team in turn, or to a stage's manager.</summary>
/// <param name="To">A <see cref="RecipientKind.User"/>, <see cref="RecipientKind.Team"/> or <see cref="RecipientKind.StageManager"/> recipient.</param>
public sealed record AssignOwner(Recipient To) : AutomationAction;

/// <summary>Starts a business process (the newest version of the template) for the deal.</summary>
/// <param name="Template">The process template's id.</param>
public sealed record StartProcess(string Template) : AutomationAction;

/// <summary>
/// Achieves a goal of the stage the deal is in when the action runs. From a goal it chains the goals; from a rule it is
/// skipped when the stage has no such goal.
/// </summary>
/// <param name="Goal">The goal.</param>
public sealed record AchieveGoal(GoalId Goal) : AutomationAction;

/// <summary>Runs an action a plug-in supplies (an <see cref="IActionHandler"/>) by its name, with parameters.</summary>
/// <param name="Handler">The handler's <see cref="IActionHandler.Name"/>; unknown names are refused when the rule, goal or template is defined.</param>
/// <param name="Parameters">The parameters passed to the handler.</param>
public sealed record PluginAction(string Handler, IReadOnlyDictionary<string, string> Parameters) : AutomationAction
{
    /// <summary>Equal when the handlers and the parameters are equal.</summary>
    /// <param name="other">The other action.</param>
    public bool Equals(PluginAction? other) => other is not null && Handler == other.Handler && Sequences.Equal(Parameters, other.Parameters);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Handler, Parameters?.Count ?? 0);
}

/// <summary>
/// Process steps only: waits for a domain event about the deal; when one of type <paramref name="EventType"/> arrives,
/// the kernel fires <paramref name="Trigger"/> (which must be permitted in the step).
/// </summary>
/// <param name="EventType">The domain event type name or deal signal, e.g. <c>InvoicePaid</c>.</param>
/// <param name="Trigger">The trigger to fire.</param>
public sealed record WaitForEvent(string EventType, string Trigger) : AutomationAction;
