using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Processes;

/// <summary>
/// Reads and writes <see cref="ProcessTemplate"/>s as JSON, the form a methodology plug-in ships.
/// </summary>
/// <remarks>
/// <para>Shape (camelCase): <c>{ "id", "version", "name", "roles": [..], "initialStep", "steps": [ { "name",
/// "responsibleRole", "deadline", "reminders": [..], "escalateToHead", "final", "onEntry": [ {"action": "createTask", ..} ],
/// "transitions": [ { "trigger", "target", "guard": {"condition": "equals", "field": "variables.x", "value"} } ] } ] }</c>;
/// actions and guards use the one automation shape (docs/automation.md), and an old shape is refused with a message naming the new one.</para>
/// <para>Durations (<c>deadline</c>, <c>reminders</c>, a task's <c>due</c>) use the text form of
/// <see cref="BusinessDuration"/>: <c>"5 working days"</c>, <c>"PT4H working"</c> or <c>"PT48H"</c>.</para>
/// <para>Loading validates the template: unknown steps, unreachable steps, undeclared roles, duplicate steps, a missing
/// initial step and the other rules of the builder are all reported together in one <see cref="CrmValidationException"/>,
/// each with its JSON path, e.g. <c>$.steps[2].transitions[0].target: unknown step 'shiped'</c>. Malformed JSON is
/// reported as a single error at the path where reading stopped.</para>
/// </remarks>
public static class ProcessTemplateJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    /// <summary>Loads and validates a template from JSON text.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="CrmValidationException">The JSON is malformed or the template is inconsistent; every problem is listed with its path.</exception>
    public static ProcessTemplate Load(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromDocument(Read(() => JsonSerializer.Deserialize<TemplateDocument>(json, Options)));
    }

    /// <summary>Loads and validates a template from a UTF-8 JSON stream (e.g. an embedded resource).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="utf8Json"/> is null.</exception>
    /// <exception cref="CrmValidationException">The JSON is malformed or the template is inconsistent; every problem is listed with its path.</exception>
    public static ProcessTemplate Load(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        return FromDocument(Read(() => JsonSerializer.Deserialize<TemplateDocument>(utf8Json, Options)));
    }

    /// <summary>Writes a template as indented JSON that <see cref="Load(string)"/> reads back to an equal template.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A transition has a C# guard, which JSON cannot hold.</exception>
    public static string Write(ProcessTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var doc = new TemplateDocument
        {
            Id = template.Id,
            Version = template.Version,
            Name = template.Name,
            Roles = [.. template.Roles],
            InitialStep = template.InitialStep,
            Steps = template.Steps.Select(s => new StepDocument
            {
                Name = s.Name,
                ResponsibleRole = s.ResponsibleRole,
                Deadline = s.Deadline,
                Reminders = s.Reminders.Count == 0 ? null : [.. s.Reminders],
                EscalateToHead = s.EscalateToHead,
                Final = s.IsFinal,
                OnEntry = s.OnEntry.Count == 0 ? null : [.. s.OnEntry],
                Transitions = s.Transitions.Count == 0 ? null : s.Transitions.Select(t => new TransitionDocument
                {
                    Trigger = t.Trigger,
                    Target = t.Target,
                    Guard = t.Predicate is null
                        ? t.Condition
                        : throw new InvalidOperationException(
                            $"Step '{s.Name}', trigger '{t.Trigger}' of template '{template.Id}' v{template.Version} has a C# guard ('{t.PredicateDescription}'), which cannot be written to JSON; express it as a Condition over variables.<name>."),
                }).ToList(),
            }).ToList(),
        };
        return JsonSerializer.Serialize(doc, Options);
    }

    private static TemplateDocument Read(Func<TemplateDocument?> read)
    {
        try
        {
            return read() ?? throw new CrmValidationException("$", "the JSON is null; expected a template object.");
        }
        catch (AutomationJson.ShapeException ex)
        {
            var (path, message) = AutomationJson.Describe(ex);
            throw new CrmValidationException(path, message);
        }
        catch (JsonException ex)
        {
            var path = ex.Path ?? PathIn(ex.Message) ?? "$";
            throw new CrmValidationException(path, Explain(path, ex.Message));
        }
        catch (NotSupportedException ex)
        {
            // Raised e.g. for an action or guard without a "type"; the path is only in the message.
            var path = (ex.InnerException as JsonException)?.Path ?? PathIn(ex.Message) ?? "$";
            throw new CrmValidationException(path, Explain(path, ex.Message));
        }
        catch (Exception ex) when (ex is not CrmException and not OutOfMemoryException)
        {
            // A file a methodology ships is input: whatever the reader throws (e.g. an allOf without conditions) is a rejection.
            var path = PathIn(ex.Message) ?? "$";
            throw new CrmValidationException(path, "the JSON cannot be read as a template: " + Explain(path, ex.Message));
        }
    }

    private const string ActionTypes = AutomationJson.ActionKinds;
    private const string ConditionTypes = AutomationJson.ConditionKinds;

    // System.Text.Json's messages name internal types and repeat the path; say what to fix in the file's terms instead.
    private static string Explain(string path, string message)
    {
        if (message.Contains("type discriminator", StringComparison.Ordinal))
        {
            return path.Contains(".guard", StringComparison.Ordinal)
                ? $"unknown or missing \"condition\"; a guard's condition is one of: {ConditionTypes}."
                : $"unknown or missing \"action\"; an action is one of: {ActionTypes}.";
        }

        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "unknown property; check its spelling against the template format.";
        }

        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return "the value has the wrong JSON type (e.g. a number where a string is expected, or an array where an object is expected).";
        }

        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string? PathIn(string message)
    {
        var at = message.IndexOf("Path: ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = message[(at + "Path: ".Length)..];
        var stop = rest.IndexOfAny([' ', '|']);
        var path = (stop < 0 ? rest : rest[..stop]).TrimEnd('.');
        return path.Length == 0 ? null : path;
    }

    private static ProcessTemplate FromDocument(TemplateDocument doc)
    {
        var errors = new List<ValidationError>();
        var steps = doc.Steps ?? [];
        var template = new ProcessTemplate(
            doc.Id ?? "",
            doc.Version,
            doc.Name ?? "",
            doc.Roles ?? [],
            doc.InitialStep ?? "",
            steps.Select((s, i) =>
            {
                if (s is null)
                {
                    errors.Add(new ValidationError($"$.steps[{i}]", "a step is missing."));
                    s = new StepDocument();
                }

                return new ProcessStep(
                    s.Name ?? "",
                    s.ResponsibleRole,
                    s.Deadline,
                    s.Reminders ?? [],
                    s.EscalateToHead,
                    s.Final,
                    s.OnEntry ?? [],
                    (s.Transitions ?? []).Select(t => new ProcessTransition(t?.Trigger ?? "", t?.Target ?? "", t?.Guard, null, null)));
            }).ToList());
        ProcessTemplateValidator.ThrowIfInvalid(template, errors);
        return template;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
            AllowOutOfOrderMetadataProperties = true,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = false,
        };
        foreach (var converter in AutomationJson.Strict)
        {
            options.Converters.Add(converter);
        }
        return options;
    }

    private sealed class TemplateDocument
    {
        public string? Id { get; set; }
        public int Version { get; set; }
        public string? Name { get; set; }
        public List<string>? Roles { get; set; }
        public string? InitialStep { get; set; }
        public List<StepDocument>? Steps { get; set; }
    }

    private sealed class StepDocument
    {
        public string? Name { get; set; }
        public string? ResponsibleRole { get; set; }
        public BusinessDuration? Deadline { get; set; }
        public List<BusinessDuration>? Reminders { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public bool EscalateToHead { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public bool Final { get; set; }

        public List<AutomationAction>? OnEntry { get; set; }
        public List<TransitionDocument>? Transitions { get; set; }
    }

    private sealed class TransitionDocument
    {
        public string? Trigger { get; set; }
        public string? Target { get; set; }
        public Condition? Guard { get; set; }
    }
}
