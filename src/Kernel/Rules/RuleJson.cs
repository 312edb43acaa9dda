using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;

namespace Crm.Kernel.Rules;

/// <summary>
/// Checks a rule definition for structure and meaning: every action names its target, texts are non-empty and bounded,
/// conditions are well formed and shallow enough, durations are within <see cref="BusinessDuration"/>'s bounds; then
/// rehearses the rule (writes and reads it back, evaluates its conditions and computes its deadlines on a sample deal) so
/// a rule that validates also runs. Every problem is reported with its JSON path, e.g. <c>$.actions[0].stage</c>.
/// </summary>
internal static class RuleValidation
{
    /// <summary>Longest rule name, notification subject and task title, in characters.</summary>
    public const int MaxTitleLength = 200;
    /// <summary>Longest notification body, in characters.</summary>
    public const int MaxBodyLength = 4000;
    /// <summary>Longest field, classifier or plug-in action name, and longest trigger name, in characters.</summary>
    public const int MaxNameLength = 100;
    /// <summary>Longest value (a field value, a condition value, an exception reason, a plug-in parameter), in characters.</summary>
    public const int MaxValueLength = 1000;
    /// <summary>Most immediate actions, scheduled actions, values of an <c>in</c> condition, reasons, plug-in parameters.</summary>
    public const int MaxItems = AutomationValidation.MaxItems;
    /// <summary>Deepest nesting of <c>allOf</c>/<c>anyOf</c>/<c>not</c> conditions.</summary>
    public const int MaxConditionDepth = AutomationValidation.MaxConditionDepth;

    private static readonly BusinessCalendar RehearsalCalendar = new(new BusinessCalendarOptions());
    private static readonly NodaTime.Instant RehearsalStart = NodaTime.Instant.FromUtc(2026, 1, 5, 9, 0);

    public static void Validate(RuleDefinition? rule, string root)
    {
        var errors = new List<ValidationError>();
        if (rule is null)
        {
            throw new CrmValidationException(root, "a rule is required.");
        }

        if (string.IsNullOrWhiteSpace(rule.Id) || rule.Id.Length > 100 || rule.Id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c)))
        {
            errors.Add(new(root + ".id", "a rule id of 1 to 100 characters without spaces or control characters is required."));
        }

        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add(new(root + ".name", "a rule needs a name."));
        }
        else
        {
            Text(rule.Name, root + ".name", MaxTitleLength, false, errors);
        }

        if (string.IsNullOrWhiteSpace(rule.Trigger))
        {
            errors.Add(new(root + ".trigger", "name the event type that triggers the rule, e.g. DealOpened."));
        }
        else if (rule.Trigger.Length > MaxNameLength || rule.Trigger.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c)))
        {
            errors.Add(new(root + ".trigger", $"an event type name of 1 to {MaxNameLength} characters without spaces or control characters is required, e.g. DealOpened."));
        }

        if (rule.Version < 1)
        {
            errors.Add(new(root + ".version", $"must be 1 or more; got {rule.Version}."));
        }

        Condition(rule.When, root + ".when", errors);
        Condition(rule.Criteria, root + ".criteria", errors);
        if (rule.Actions is null)
        {
            errors.Add(new(root + ".actions", "a list of actions is required (it may be empty)."));
        }
        else
        {
            Count(rule.Actions.Count, root + ".actions", errors);
            for (var i = 0; i < rule.Actions.Count; i++)
            {
                AutomationValidation.Action(rule.Actions[i], $"{root}.actions[{i}]", AutomationSite.Rule, errors);
            }
        }

        if (rule.Scheduled is null)
        {
            errors.Add(new(root + ".scheduled", "a list of scheduled actions is required (it may be empty)."));
        }
        else
        {
            Count(rule.Scheduled.Count, root + ".scheduled", errors);
            for (var i = 0; i < rule.Scheduled.Count; i++)
            {
                var scheduled = rule.Scheduled[i];
                var path = $"{root}.scheduled[{i}]";
                if (scheduled is null)
                {
                    errors.Add(new(path, "a scheduled action cannot be null."));
                    continue;
                }

                AutomationValidation.Action(scheduled.Action, path + ".action", AutomationSite.Rule, errors);
                Condition(scheduled.Unless, path + ".unless", errors);
            }
        }

        if (rule.Deadline is { } deadline)
        {
            if (deadline.MetWhen is null)
            {
                errors.Add(new(root + ".deadline.metWhen", "say what makes the rule met."));
            }
            else
            {
                Condition(deadline.MetWhen, root + ".deadline.metWhen", errors);
            }

            if (deadline.NotifyOnViolation.Kind is not (RecipientKind.DealOwner or RecipientKind.OwnerHead or RecipientKind.User)
                || (deadline.NotifyOnViolation.Kind == RecipientKind.User && string.IsNullOrWhiteSpace(deadline.NotifyOnViolation.Name)))
            {
                errors.Add(new(root + ".deadline.notifyOnViolation", $"'{deadline.NotifyOnViolation}' cannot be told of a violation; use dealOwner, ownerHead or user:<id>."));
            }

            Defined(deadline.Policy, root + ".deadline.policy", errors);
        }

        if (rule.Exceptions is { } exceptions)
        {
            if (string.IsNullOrWhiteSpace(exceptions.Flag))
            {
                errors.Add(new(root + ".exceptions.flag", "name the flag a seller sets, e.g. Complex."));
            }
            else
            {
                Text(exceptions.Flag, root + ".exceptions.flag", MaxNameLength, false, errors);
            }

            if (exceptions.Reasons is null || exceptions.Reasons.Count == 0)
            {
                errors.Add(new(root + ".exceptions.reasons", "list at least one reason."));
            }
            else
            {
                Count(exceptions.Reasons.Count, root + ".exceptions.reasons", errors);
                for (var i = 0; i < exceptions.Reasons.Count; i++)
                {
                    Required(exceptions.Reasons[i], $"{root}.exceptions.reasons[{i}]", MaxValueLength, false, "a reason needs a text.", errors);
                }
            }

            Required(exceptions.ApprovedFlag, root + ".exceptions.approvedFlag", MaxNameLength, false, "name the classifier set on approval, e.g. RequestApproved.", errors);
            Defined(exceptions.OnApproval, root + ".exceptions.onApproval", errors);
            if (rule.Deadline is null)
            {
                errors.Add(new(root + ".exceptions", "exceptions need a deadline to extend or stop."));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        Rehearse(rule, root);
    }

    /// <summary>
    /// Runs what the engine will do with the rule on a sample deal, without writing anything: evaluates every condition,
    /// computes every deadline and offset from a sample moment, fills the texts, and (for rules without C# code) writes
    /// the rule as JSON and reads it back. Whatever fails here would fail every triggering command later.
    /// </summary>
    private static void Rehearse(RuleDefinition rule, string root)
    {
        var errors = new List<ValidationError>();
        var subject = SampleSubject();
        Try(root + ".when", errors, () => rule.When?.IsTrue(subject));
        Try(root + ".criteria", errors, () => rule.Criteria?.IsTrue(subject));
        for (var i = 0; i < rule.Scheduled.Count; i++)
        {
            var scheduled = rule.Scheduled[i];
            Try($"{root}.scheduled[{i}].after", errors, () => scheduled.After.AddTo(RehearsalStart, RehearsalCalendar));
            Try($"{root}.scheduled[{i}].unless", errors, () => scheduled.Unless?.IsTrue(subject));
        }

        if (rule.Deadline is { } deadline)
        {
            Try(root + ".deadline.within", errors, () => deadline.Within.AddTo(RehearsalStart, RehearsalCalendar));
            Try(root + ".deadline.metWhen", errors, () => deadline.MetWhen.IsTrue(subject));
            if (rule.Exceptions is { } exceptions)
            {
                Try(root + ".exceptions.extension", errors, () => exceptions.Extension.AddTo(deadline.Within.AddTo(RehearsalStart, RehearsalCalendar), RehearsalCalendar));
            }
        }

        if (errors.Count == 0 && !HasCode(rule))
        {
            Try(root, errors, () => RuleJson.ReadBack(rule));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }

    private static void Try(string path, List<ValidationError> errors, Func<object?> run)
    {
        try
        {
            run();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            errors.Add(new(path, $"the rule would fail when it runs: {e.Message}"));
        }
    }

    private static bool HasCode(RuleDefinition rule)
    {
        static bool Code(Condition? c) => c switch
        {
            CodeCondition => true,
            AllOf all => all.Conditions.Any(Code),
            AnyOf any => any.Conditions.Any(Code),
            Not not => Code(not.Condition),
            _ => false,
        };

        return Code(rule.When) || Code(rule.Criteria) || Code(rule.Deadline?.MetWhen) || rule.Scheduled.Any(s => Code(s.Unless));
    }

    private static RuleSubject SampleSubject()
    {
        var deal = new Crm.Kernel.Deals.Deal
        {
            Id = new DealId("rehearsal-deal"),
            Client = new ClientId("rehearsal-client"),
            Pipeline = new PipelineId("rehearsal"),
            Stage = new StageId("rehearsal"),
            Owner = new UserId("rehearsal-owner"),
            Amount = Money.Of(1000m, "USD"),
        };
        var client = new Crm.Kernel.Clients.Client
        {
            Id = deal.Client,
            Kind = ClientKind.Company,
            Name = "Rehearsal",
            Owner = deal.Owner,
        };
        return new RuleSubject(deal, client);
    }

    private static void Condition(Condition? condition, string path, List<ValidationError> errors) =>
        AutomationValidation.Condition(condition, path, AutomationSite.Rule, errors);

    private static void Count(int count, string path, List<ValidationError> errors)
    {
        if (count > MaxItems)
        {
            errors.Add(new(path, $"at most {MaxItems} items; got {count}."));
        }
    }

    private static void Defined<TEnum>(TEnum value, string path, List<ValidationError> errors)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add(new(path, $"'{value}' is not one of: {string.Join(", ", Enum.GetNames<TEnum>())}."));
        }
    }

    private static void Required(string? value, string path, int max, bool multiline, string message, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(path, message));
            return;
        }

        Text(value, path, max, multiline, errors);
    }

    /// <summary>Bounded, valid UTF-16, and no control characters (line breaks and tabs allowed in multi-line texts).</summary>
    internal static void Text(string? value, string path, int max, bool multiline, List<ValidationError> errors)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > max)
        {
            errors.Add(new(path, $"at most {max} characters; got {value.Length}."));
            return;
        }

        var at = InputRules.InvalidCharacterAt(value, multiline ? ControlCharacters.LineBreaksAndTabsAllowed : ControlCharacters.Refused);
        if (at >= 0)
        {
            var c = value[at];
            errors.Add(new(path, char.IsSurrogate(c)
                ? $"invalid text: an unpaired surrogate (U+{(int)c:X4}) at position {at}."
                : $"invalid text: control character U+{(int)c:X4} at position {at}."));
        }
    }
}

/// <summary>Reads and writes rules as JSON (what an admin edits or a methodology ships), validating on load.</summary>
/// <remarks>Actions and conditions use the one automation shape (docs/automation.md); an old shape is refused with a message naming the new one.</remarks>
/// <example><code>
/// { "id": "small-deal-offer", "name": "Small deal: offer within 5 days", "trigger": "DealOpened",
///   "criteria": { "condition": "compare", "field": "deal.amount", "op": "lessThan", "value": 10000 },
///   "actions": [ { "action": "notify", "to": "dealOwner", "subject": "Send an offer", "body": "…" } ],
///   "deadline": { "within": "5 working days", "metWhen": { "condition": "isSet", "field": "deal.field.offerSent" } } }
/// </code></example>
public static class RuleJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions(AutomationJson.Strict);
    private static readonly JsonSerializerOptions StoredOptions = CreateOptions(AutomationJson.Upcasting);

    /// <summary>Loads and validates a rule.</summary>
    /// <exception cref="CrmValidationException">Malformed JSON, an old action/condition shape, or an invalid rule; each problem has its JSON path.</exception>
    public static RuleDefinition Load(string json) => Load(json, Options);

    /// <summary>Loads a rule the kernel stored, reading (upcasting) the shapes of earlier kernels, and validates it.</summary>
    internal static RuleDefinition LoadStored(string json) => Load(json, StoredOptions);

    private static RuleDefinition Load(string json, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(json);
        RuleDefinition? rule;
        try
        {
            rule = JsonSerializer.Deserialize<RuleDefinition>(json, options);
        }
        catch (JsonException e)
        {
            var (path, message) = AutomationJson.Describe(e);
            throw new CrmValidationException(path, $"the JSON cannot be read as a rule: {message}");
        }
        catch (Exception e) when (e is not CrmException and not OutOfMemoryException)
        {
            // Input from admins and files: whatever the reader throws (a bad id, an overflowing number) is a rejection.
            throw new CrmValidationException("$", "the JSON cannot be read as a rule: " + e.Message);
        }

        RuleValidation.Validate(rule, "$");
        return rule!;
    }

    /// <summary>Writes the rule and reads it back without validation: what the store will hold must be readable.</summary>
    internal static RuleDefinition ReadBack(RuleDefinition rule) =>
        JsonSerializer.Deserialize<RuleDefinition>(Write(rule), Options) ?? throw new InvalidDataException("the rule reads back as null.");

    /// <summary>Writes a rule as JSON.</summary>
    /// <exception cref="CrmValidationException">The rule holds a <see cref="CodeCondition"/>, which has no JSON form.</exception>
    public static string Write(RuleDefinition rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        try
        {
            return JsonSerializer.Serialize(rule, Options);
        }
        catch (NotSupportedException)
        {
            throw new CrmValidationException("$", $"rule '{rule.Id}' has a C# condition (CodeCondition), which cannot be written to JSON; register it in code with crm.AddRule instead.");
        }
    }

    private static JsonSerializerOptions CreateOptions(IEnumerable<JsonConverter> automation)
    {
        var options = new JsonSerializerOptions(CrmJson.Options)
        {
            WriteIndented = true,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            AllowOutOfOrderMetadataProperties = true,
        };
        foreach (var converter in automation)
        {
            options.Converters.Insert(0, converter);
        }

        return options;
    }
}
