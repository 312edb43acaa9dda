using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Kernel.Processes;

/// <summary>
/// Checks a template's consistency and meaning (texts present and bounded, guards well formed, durations within
/// <see cref="BusinessDuration"/>'s bounds), then rehearses it (computes every deadline and reminder, evaluates every
/// guard) so a template that validates also runs; every problem is reported with its JSON path (the builder uses the
/// same paths).
/// </summary>
internal static class ProcessTemplateValidator
{
    /// <summary>Longest id, step name, role, trigger, event type, field or classifier name, in characters.</summary>
    public const int MaxNameLength = 100;
    /// <summary>Longest template name, task title and notification subject, in characters.</summary>
    public const int MaxTitleLength = 200;
    /// <summary>Longest notification body, in characters.</summary>
    public const int MaxBodyLength = 4000;
    /// <summary>Longest value a step sets or a guard compares with, in characters.</summary>
    public const int MaxValueLength = 1000;
    /// <summary>Most steps of a template.</summary>
    public const int MaxSteps = 200;
    /// <summary>Most roles, reminders, on-entry actions and transitions (each per step), and conditions in a guard list.</summary>
    public const int MaxItems = 50;
    /// <summary>Deepest nesting of guard conditions.</summary>
    public const int MaxGuardDepth = 16;

    private static readonly BusinessCalendar RehearsalCalendar = new(new BusinessCalendarOptions());
    private static readonly Instant RehearsalStart = Instant.FromUtc(2026, 1, 5, 9, 0);

    public static void ThrowIfInvalid(ProcessTemplate template, List<ValidationError>? earlier = null)
    {
        var errors = earlier ?? [];
        Validate(template, errors);
        if (errors.Count == 0)
        {
            Rehearse(template, errors);
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }

    /// <summary>What the engine computes when an instance enters each step, done once on sample data.</summary>
    private static void Rehearse(ProcessTemplate t, List<ValidationError> errors)
    {
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < t.Steps.Count; i++)
        {
            var step = t.Steps[i];
            var path = $"$.steps[{i}]";
            if (step.Deadline is { } deadline)
            {
                Try($"{path}.deadline", errors, () =>
                {
                    var due = deadline.AddTo(RehearsalStart, RehearsalCalendar);
                    foreach (var reminder in step.Reminders)
                    {
                        reminder.SubtractFrom(due, RehearsalCalendar);
                    }
                });
            }

            for (var k = 0; k < step.OnEntry.Count; k++)
            {
                if (step.OnEntry[k] is CreateTask task)
                {
                    Try($"{path}.onEntry[{k}].due", errors, () => task.Due.AddTo(RehearsalStart, RehearsalCalendar));
                }
            }

            for (var j = 0; j < step.Transitions.Count; j++)
            {
                if (step.Transitions[j].Condition is { } guard)
                {
                    Try($"{path}.transitions[{j}].guard", errors, () => guard.IsTrue(none));
                }
            }
        }
    }

    private static void Try(string path, List<ValidationError> errors, Action run)
    {
        try
        {
            run();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            errors.Add(new(path, $"the template would fail when it runs: {e.Message}"));
        }
    }

    public static void Validate(ProcessTemplate t, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(t.Id))
        {
            errors.Add(new("$.id", "a template needs an id."));
        }
        else
        {
            Name(t.Id, "$.id", errors);
        }

        RuleValidation.Text(t.Name, "$.name", MaxTitleLength, false, errors);
        Count(t.Roles.Count, "$.roles", MaxItems, errors);
        Count(t.Steps.Count, "$.steps", MaxSteps, errors);

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
            else if (!Name(t.Roles[i], $"$.roles[{i}]", errors))
            {
                continue;
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
            else if (!Name(name, $"$.steps[{i}].name", errors))
            {
                continue;
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

        Count(step.Reminders.Count, $"{path}.reminders", MaxItems, errors);
        Count(step.OnEntry.Count, $"{path}.onEntry", MaxItems, errors);
        Count(step.Transitions.Count, $"{path}.transitions", MaxItems, errors);
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
            else if (Name(tr.Trigger, $"{tp}.trigger", errors))
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

            if (tr.Condition is { } guard)
            {
                AutomationValidation.Condition(guard, $"{tp}.guard", AutomationSite.ProcessStep, errors);
            }
        }

        for (var k = 0; k < step.OnEntry.Count; k++)
        {
            AutomationValidation.Action(step.OnEntry[k], $"{path}.onEntry[{k}]", AutomationSite.ProcessStep, errors, roles, triggers);
        }
    }

    private static void Require(string? value, string path, string message, List<ValidationError> errors, int max = int.MaxValue, bool multiline = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(path, message));
        }
        else if (max < int.MaxValue)
        {
            RuleValidation.Text(value, path, max, multiline, errors);
        }
    }

    /// <summary>An identifier-like name: bounded, valid UTF-16, no control characters. False (and an error) when not.</summary>
    private static bool Name(string value, string path, List<ValidationError> errors)
    {
        var before = errors.Count;
        RuleValidation.Text(value, path, MaxNameLength, false, errors);
        return errors.Count == before;
    }

    private static void Count(int count, string path, int max, List<ValidationError> errors)
    {
        if (count > max)
        {
            errors.Add(new(path, $"at most {max} items; got {count}."));
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
