using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Rules;

namespace Crm.Kernel.Automation;

/// <summary>Where an action or condition is used; some kinds apply in one place only.</summary>
internal enum AutomationSite
{
    Goal,
    ProcessStep,
    Rule,
}

/// <summary>
/// Checks actions and conditions of the one model for goals, process steps and rules alike; every problem carries its
/// JSON path, e.g. <c>$.steps[2].onEntry[0].due</c>.
/// </summary>
internal static class AutomationValidation
{
    public const int MaxTitleLength = 200;
    public const int MaxBodyLength = 4000;
    public const int MaxNameLength = 100;
    public const int MaxValueLength = 1000;
    public const int MaxItems = 50;
    public const int MaxConditionDepth = 16;

    private static string SiteName(AutomationSite site) => site switch
    {
        AutomationSite.Goal => "a goal",
        AutomationSite.ProcessStep => "a process step",
        _ => "a rule",
    };

    /// <summary>Checks one action; <paramref name="roles"/> and <paramref name="triggers"/> are the process's (process steps only).</summary>
    public static void Action(AutomationAction? action, string path, AutomationSite site, List<ValidationError> errors,
        IReadOnlySet<string>? roles = null, IReadOnlySet<string>? triggers = null, Func<string, bool>? handlerExists = null)
    {
        switch (action)
        {
            case null:
                errors.Add(new(path, "an action is required."));
                break;
            case Notify n:
                Required(n.Subject, path + ".subject", MaxTitleLength, false, "a notification needs a subject.", errors);
                Required(n.Body, path + ".body", MaxBodyLength, true, "a notification needs a body.", errors);
                Recipient(n.To, path + ".to", site, false, roles, errors);
                break;
            case CreateTask t:
                Required(t.Title, path + ".title", MaxTitleLength, false, "a task needs a title.", errors);
                Recipient(t.Assignee, path + ".assignee", site, false, roles, errors);
                break;
            case SetField f:
                if (string.IsNullOrWhiteSpace(f.Field))
                {
                    errors.Add(new(path + ".field", "name the field to set, e.g. deal.field.<name>."));
                }
                else if (!IsWritable(f.Field))
                {
                    errors.Add(new(path + ".field", $"cannot set '{f.Field}' from {SiteName(site)}; set deal.field.<name>, deal.classifier.<name>, client.classifier.<name> (process variables are read, not set, by actions)."));
                }
                else
                {
                    Text(f.Field, path + ".field", MaxNameLength + 20, false, errors);
                }

                if (f.Field?.StartsWith("client.classifier.", StringComparison.Ordinal) == true || site == AutomationSite.ProcessStep)
                {
                    Required(f.Value, path + ".value", MaxValueLength, false, "give the value to set.", errors);
                }
                else
                {
                    Text(f.Value, path + ".value", MaxValueLength, false, errors);
                }

                break;
            case MoveToStage m when m.Stage.Value is null:
                errors.Add(new(path + ".stage", "required: name the stage to move the deal to."));
                break;
            case MoveToStage when site == AutomationSite.ProcessStep:
            case AssignOwner when site == AutomationSite.ProcessStep:
            case AchieveGoal when site == AutomationSite.ProcessStep:
                errors.Add(new(path + ".action", $"'{Kind(action)}' is not available in a process step; use it from a goal or a rule."));
                break;
            case AssignOwner a:
                if (a.To.Kind is not (RecipientKind.User or RecipientKind.Team or RecipientKind.StageManager))
                {
                    errors.Add(new(path + ".to", $"'{a.To}' cannot own a deal; use user:<id>, team:<id> or stageManager[:<stage>]."));
                }
                else
                {
                    Recipient(a.To, path + ".to", site, true, roles, errors);
                }

                break;
            case StartProcess p:
                Required(p.Template, path + ".template", MaxNameLength, false, "a process template id is required.", errors);
                break;
            case AchieveGoal g when g.Goal.Value is null:
                errors.Add(new(path + ".goal", "required: name the goal to achieve."));
                break;
            case PluginAction p:
                if (string.IsNullOrWhiteSpace(p.Handler))
                {
                    errors.Add(new(path + ".handler", "name the plug-in action handler."));
                    break;
                }

                Text(p.Handler, path + ".handler", MaxNameLength, false, errors);
                if (handlerExists is not null && !handlerExists(p.Handler))
                {
                    errors.Add(new(path + ".handler", $"no loaded plug-in provides action handler '{p.Handler}'; load the plug-in (an IActionHandler named so) first."));
                }

                if (p.Parameters is null)
                {
                    errors.Add(new(path + ".parameters", "required: give the parameters (an empty object when none)."));
                    break;
                }

                Count(p.Parameters.Count, path + ".parameters", errors);
                foreach (var (key, value) in p.Parameters)
                {
                    Required(key, path + ".parameters", MaxNameLength, false, "a parameter needs a name.", errors);
                    Required(value, $"{path}.parameters.{key}", MaxValueLength, false, "a parameter needs a value.", errors);
                }

                break;
            case WaitForEvent when site != AutomationSite.ProcessStep:
                errors.Add(new(path + ".action", $"'waitForEvent' only works in a process step (it fires a trigger of the process); {SiteName(site)} cannot wait."));
                break;
            case WaitForEvent wait:
                Required(wait.EventType, path + ".event", MaxNameLength, false, "name the domain event type to wait for.", errors);
                if (string.IsNullOrWhiteSpace(wait.Trigger))
                {
                    errors.Add(new(path + ".trigger", "name the trigger to fire when the event arrives."));
                }
                else if (triggers is not null && !triggers.Contains(wait.Trigger))
                {
                    errors.Add(new(path + ".trigger", $"trigger '{wait.Trigger}' is not permitted in this step; add a transition for it."));
                }

                break;
        }
    }

    /// <summary>The JSON name of an action's kind.</summary>
    public static string Kind(AutomationAction? action) => action switch
    {
        Notify => "notify",
        CreateTask => "createTask",
        SetField => "setField",
        MoveToStage => "moveToStage",
        AssignOwner => "assignOwner",
        StartProcess => "startProcess",
        AchieveGoal => "achieveGoal",
        PluginAction => "plugin",
        WaitForEvent => "waitForEvent",
        _ => action?.GetType().Name ?? "null",
    };

    private static void Recipient(Recipient recipient, string path, AutomationSite site, bool owner, IReadOnlySet<string>? roles, List<ValidationError> errors)
    {
        if (!Enum.IsDefined(recipient.Kind))
        {
            errors.Add(new(path, $"unknown recipient kind {(int)recipient.Kind}; use dealOwner, ownerHead, user:<id> or role:<role>."));
            return;
        }

        switch (recipient.Kind)
        {
            case RecipientKind.User or RecipientKind.Team:
                if (string.IsNullOrWhiteSpace(recipient.Name))
                {
                    errors.Add(new(path, $"name the {(recipient.Kind == RecipientKind.User ? "user" : "team")}, e.g. {(recipient.Kind == RecipientKind.User ? "user:u-42" : "team:sales")}."));
                }
                else
                {
                    Text(recipient.Name, path, MaxNameLength, false, errors);
                }

                break;
            case RecipientKind.Role when site != AutomationSite.ProcessStep:
                errors.Add(new(path, $"'{recipient}': roles exist only in process steps; use dealOwner, ownerHead or user:<id>."));
                break;
            case RecipientKind.Role when string.IsNullOrWhiteSpace(recipient.Name):
                errors.Add(new(path, "name the role, e.g. role:legal."));
                break;
            case RecipientKind.Role when roles is not null && !roles.Contains(recipient.Name!):
                errors.Add(new(path, $"role '{recipient.Name}' is not declared in $.roles."));
                break;
            case RecipientKind.Team or RecipientKind.StageManager when !owner:
                errors.Add(new(path, $"'{recipient}' can only be given a deal (assignOwner); a task or notification goes to dealOwner, ownerHead, user:<id> or role:<role>."));
                break;
        }
    }

    /// <summary>Whether an action may set <paramref name="field"/>.</summary>
    public static bool IsWritable(string field) =>
        Prefixed(field, "deal.field.") || Prefixed(field, "deal.classifier.") || Prefixed(field, "client.classifier.");

    /// <summary>Whether a condition may read <paramref name="path"/> at <paramref name="site"/>.</summary>
    public static bool IsReadable(string? path, AutomationSite site) => site == AutomationSite.ProcessStep
        ? path is not null && Prefixed(path, "variables.")
        : path is "deal.amount" or "deal.currency" or "deal.stage" or "deal.source" or "deal.owner" or "deal.title" or "deal.status"
            or "deal.pipeline" or "client.name" or "client.region" or "client.city" or "client.industry" or "client.kind"
          || (path is not null && (Prefixed(path, "deal.field.") || Prefixed(path, "deal.classifier.") || Prefixed(path, "client.classifier.") || Prefixed(path, "event.")));

    private static bool Prefixed(string path, string prefix) => path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>Checks a condition tree (null is fine: no condition).</summary>
    public static void Condition(Condition? condition, string path, AutomationSite site, List<ValidationError> errors, int depth = 1)
    {
        if (condition is null)
        {
            return;
        }

        if (depth > MaxConditionDepth)
        {
            errors.Add(new(path, $"conditions nest at most {MaxConditionDepth} deep."));
            return;
        }

        switch (condition)
        {
            case FieldEquals e:
                Field(e.Field, path, site, errors);
                Required(e.Value, path + ".value", MaxValueLength, false, "required: the value to compare with.", errors);
                break;
            case FieldIn i:
                Field(i.Field, path, site, errors);
                if (i.Values is null || i.Values.Count == 0)
                {
                    errors.Add(new(path + ".values", "list at least one value."));
                    break;
                }

                Count(i.Values.Count, path + ".values", errors);
                for (var k = 0; k < i.Values.Count; k++)
                {
                    Required(i.Values[k], $"{path}.values[{k}]", MaxValueLength, false, "a value cannot be null or empty.", errors);
                }

                break;
            case FieldCompare c:
                Field(c.Field, path, site, errors);
                if (!Enum.IsDefined(c.Op))
                {
                    errors.Add(new(path + ".op", $"unknown comparison {(int)c.Op}."));
                }

                break;
            case FieldBetween b:
                Field(b.Field, path, site, errors);
                if (b.Min > b.Max)
                {
                    errors.Add(new(path, $"min {b.Min} is greater than max {b.Max}."));
                }

                break;
            case FieldIsSet s:
                Field(s.Field, path, site, errors);
                break;
            case AllOf all:
                List(all.Conditions, path, site, errors, depth);
                break;
            case AnyOf any:
                List(any.Conditions, path, site, errors, depth);
                break;
            case Not not when not.Condition is null:
                errors.Add(new(path + ".of", "a condition is required."));
                break;
            case Not not:
                Condition(not.Condition, path + ".of", site, errors, depth + 1);
                break;
            case CodeCondition code when site != AutomationSite.Rule:
                errors.Add(new(path, $"a C# condition ('{code.Description}') works in code-registered rules only; use a process transition's PermitIf predicate."));
                break;
            case CodeCondition code when code.Predicate is null:
                errors.Add(new(path, "a code condition needs a predicate."));
                break;
        }
    }

    private static void List(IReadOnlyList<Condition>? conditions, string path, AutomationSite site, List<ValidationError> errors, int depth)
    {
        if (conditions is null || conditions.Count == 0)
        {
            errors.Add(new(path + ".conditions", "list at least one condition."));
            return;
        }

        Count(conditions.Count, path + ".conditions", errors);
        for (var k = 0; k < conditions.Count; k++)
        {
            if (conditions[k] is null)
            {
                errors.Add(new($"{path}.conditions[{k}]", "a condition cannot be null."));
            }
            else
            {
                Condition(conditions[k], $"{path}.conditions[{k}]", site, errors, depth + 1);
            }
        }
    }

    private static void Field(string? field, string path, AutomationSite site, List<ValidationError> errors)
    {
        if (!IsReadable(field, site))
        {
            errors.Add(new(path + ".field", site == AutomationSite.ProcessStep
                ? $"unknown field '{field}'; a process guard reads process variables: variables.<name>."
                : $"unknown field '{field}'; use deal.amount, deal.stage, deal.field.<name>, deal.classifier.<name>, client.region, client.classifier.<name>, event.<property>…"));
        }
        else
        {
            Text(field, path + ".field", MaxNameLength + 20, false, errors);
        }
    }

    public static void Count(int count, string path, List<ValidationError> errors)
    {
        if (count > MaxItems)
        {
            errors.Add(new(path, $"at most {MaxItems} items; got {count}."));
        }
    }

    public static void Required(string? value, string path, int max, bool multiline, string message, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(path, message));
            return;
        }

        Text(value, path, max, multiline, errors);
    }

    public static void Text(string? value, string path, int max, bool multiline, List<ValidationError> errors) =>
        RuleValidation.Text(value, path, max, multiline, errors);
}

/// <summary>Checks what an action names against what the kernel has loaded (plug-in action handlers).</summary>
internal static class AutomationReferences
{
    /// <summary>Refuses a pipeline whose goal reactions call a plug-in action handler no loaded plug-in registered.</summary>
    /// <exception cref="CrmValidationException">Unknown handlers, each with its path.</exception>
    public static void RequireHandlers(PipelineDefinition definition, Func<string, bool> handlerExists)
    {
        var errors = new List<ValidationError>();
        for (var i = 0; i < definition.Stages.Count; i++)
        {
            var goals = definition.Stages[i]?.Goals ?? [];
            for (var g = 0; g < goals.Count; g++)
            {
                for (var r = 0; r < goals[g].Reactions.Count; r++)
                {
                    if (goals[g].Reactions[r] is PluginAction { Handler: { } handler } && !handlerExists(handler))
                    {
                        errors.Add(new($"stages[{i}].goals[{g}].reactions[{r}].handler", $"no loaded plug-in provides action handler '{handler}'; load the plug-in (an IActionHandler named so) first."));
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }
}
