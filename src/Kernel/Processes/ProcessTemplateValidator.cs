using Crm.Abstractions;

namespace Crm.Kernel.Processes;

/// <summary>Checks a template's consistency; every problem is reported with its JSON path (the builder uses the same paths).</summary>
internal static class ProcessTemplateValidator
{
    public static void ThrowIfInvalid(ProcessTemplate template, List<ValidationError>? earlier = null)
    {
        var errors = earlier ?? [];
        Validate(template, errors);
        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }

    public static void Validate(ProcessTemplate t, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(t.Id))
        {
            errors.Add(new("$.id", "a template needs an id."));
        }

        if (t.Version < 1)
        {
            errors.Add(new("$.version", $"version must be 1 or more (got {t.Version})."));
        }

        if (string.IsNullOrWhiteSpace(t.Name))
        {
            errors.Add(new("$.name", "a template needs a name."));
        }

        var roles = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < t.Roles.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(t.Roles[i]))
            {
                errors.Add(new($"$.roles[{i}]", "a role needs a name."));
            }
            else if (!roles.Add(t.Roles[i]))
            {
                errors.Add(new($"$.roles[{i}]", $"duplicate role '{t.Roles[i]}'."));
            }
        }

        var stepIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        if (t.Steps.Count == 0)
        {
            errors.Add(new("$.steps", "a template needs at least one step."));
        }

        for (var i = 0; i < t.Steps.Count; i++)
        {
            var name = t.Steps[i].Name;
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add(new($"$.steps[{i}].name", "a step needs a name."));
            }
            else if (!stepIndex.TryAdd(name, i))
            {
                errors.Add(new($"$.steps[{i}].name", $"duplicate step '{name}' (already declared at $.steps[{stepIndex[name]}])."));
            }
        }

        var initialKnown = false;
        if (string.IsNullOrWhiteSpace(t.InitialStep))
        {
            errors.Add(new("$.initialStep", "no initial step; name the step new instances start in."));
        }
        else if (!stepIndex.ContainsKey(t.InitialStep))
        {
            errors.Add(new("$.initialStep", $"unknown step '{t.InitialStep}'."));
        }
        else
        {
            initialKnown = true;
        }

        for (var i = 0; i < t.Steps.Count; i++)
        {
            ValidateStep(t.Steps[i], $"$.steps[{i}]", roles, stepIndex, errors);
        }

        if (initialKnown)
        {
            ReportUnreachable(t, stepIndex, errors);
        }
    }

    private static void ValidateStep(
        ProcessStep step, string path, HashSet<string> roles, Dictionary<string, int> stepIndex, List<ValidationError> errors)
    {
        if (step.ResponsibleRole is { } role && !roles.Contains(role))
        {
            errors.Add(new($"{path}.responsibleRole", $"role '{role}' is not declared in $.roles."));
        }

        if (step.Deadline is null && step.Reminders.Count > 0)
        {
            errors.Add(new($"{path}.reminders", "reminders are counted before the deadline; set a deadline."));
        }

        if (step.EscalateToHead && (step.Deadline is null || step.ResponsibleRole is null))
        {
            errors.Add(new($"{path}.escalateToHead", "escalation happens when the deadline passes, to the head of the responsible person; set both a deadline and a responsible role."));
        }

        if (step.IsFinal && step.Transitions.Count > 0)
        {
            errors.Add(new($"{path}.transitions", $"final step '{step.Name}' completes the process and cannot have transitions."));
        }
        else if (!step.IsFinal && step.Transitions.Count == 0)
        {
            errors.Add(new($"{path}.transitions", $"step '{step.Name}' has no way out; add a transition or mark it final."));
        }

        var unguarded = new HashSet<string>(StringComparer.Ordinal);
        var triggers = new HashSet<string>(StringComparer.Ordinal);
        for (var j = 0; j < step.Transitions.Count; j++)
        {
            var tr = step.Transitions[j];
            var tp = $"{path}.transitions[{j}]";
            if (string.IsNullOrWhiteSpace(tr.Trigger))
            {
                errors.Add(new($"{tp}.trigger", "a transition needs a trigger."));
            }
            else
            {
                triggers.Add(tr.Trigger);
                if (!tr.IsGuarded && !unguarded.Add(tr.Trigger))
                {
                    errors.Add(new($"{tp}.trigger", $"trigger '{tr.Trigger}' is declared twice without a guard; guard one of them."));
                }
            }

            if (string.IsNullOrWhiteSpace(tr.Target))
            {
                errors.Add(new($"{tp}.target", "a transition needs a target step."));
            }
            else if (!stepIndex.ContainsKey(tr.Target))
            {
                errors.Add(new($"{tp}.target", $"unknown step '{tr.Target}'."));
            }
        }

        for (var k = 0; k < step.OnEntry.Count; k++)
        {
            ValidateAction(step.OnEntry[k], $"{path}.onEntry[{k}]", roles, triggers, errors);
        }
    }

    private static void ValidateAction(
        ProcessAction? action, string path, HashSet<string> roles, HashSet<string> triggers, List<ValidationError> errors)
    {
        switch (action)
        {
            case null:
                errors.Add(new(path, "an action is missing."));
                break;
            case CreateTaskAction task:
                ValidateAssignee(task.Assignee, $"{path}.assignee", roles, errors);
                Require(task.Title, $"{path}.title", "a task needs a title.", errors);
                break;
            case NotifyAction notify:
                ValidateAssignee(notify.Recipient, $"{path}.recipient", roles, errors);
                Require(notify.Subject, $"{path}.subject", "a notification needs a subject.", errors);
                break;
            case SetFieldAction field:
                Require(field.Field, $"{path}.field", "name the field to set.", errors);
                break;
            case SetClientClassifierAction classifier:
                Require(classifier.Classifier, $"{path}.classifier", "name the client classifier to set.", errors);
                break;
            case WaitForEventAction wait:
                Require(wait.EventType, $"{path}.eventType", "name the domain event type to wait for.", errors);
                if (string.IsNullOrWhiteSpace(wait.Trigger))
                {
                    errors.Add(new($"{path}.trigger", "name the trigger to fire when the event arrives."));
                }
                else if (!triggers.Contains(wait.Trigger))
                {
                    errors.Add(new($"{path}.trigger", $"trigger '{wait.Trigger}' is not permitted in this step; add a transition for it."));
                }

                break;
            case StartSubProcessAction sub:
                Require(sub.TemplateId, $"{path}.templateId", "name the template of the sub-process.", errors);
                break;
        }
    }

    private static void ValidateAssignee(ProcessAssignee? assignee, string path, HashSet<string> roles, List<ValidationError> errors)
    {
        if (assignee is null || (assignee.Role is null) == (assignee.User is null))
        {
            errors.Add(new(path, "give exactly one of 'role' and 'user'."));
        }
        else if (assignee.Role is { } role && !roles.Contains(role))
        {
            errors.Add(new($"{path}.role", $"role '{role}' is not declared in $.roles."));
        }
        else if (assignee.User is { } user && string.IsNullOrWhiteSpace(user))
        {
            errors.Add(new($"{path}.user", "a user id must not be blank."));
        }
    }

    private static void Require(string? value, string path, string message, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(path, message));
        }
    }

    private static void ReportUnreachable(ProcessTemplate t, Dictionary<string, int> stepIndex, List<ValidationError> errors)
    {
        var reached = new bool[t.Steps.Count];
        var queue = new Queue<int>();
        var start = stepIndex[t.InitialStep];
        reached[start] = true;
        queue.Enqueue(start);
        while (queue.TryDequeue(out var i))
        {
            foreach (var tr in t.Steps[i].Transitions)
            {
                if (tr.Target is not null && stepIndex.TryGetValue(tr.Target, out var j) && !reached[j])
                {
                    reached[j] = true;
                    queue.Enqueue(j);
                }
            }
        }

        for (var i = 0; i < reached.Length; i++)
        {
            // A duplicate's index is not in stepIndex; it is already reported as a duplicate.
            if (!reached[i] && t.Steps[i].Name is { } n && stepIndex.TryGetValue(n, out var idx) && idx == i)
            {
                errors.Add(new($"$.steps[{i}]", $"step '{n}' is unreachable from the initial step '{t.InitialStep}'."));
            }
        }
    }
}
