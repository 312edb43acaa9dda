using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Rules;

/// <summary>Checks a rule definition; every problem is reported with its JSON path.</summary>
internal static class RuleValidation
{
    public static void Validate(RuleDefinition? rule, string root)
    {
        var errors = new List<ValidationError>();
        if (rule is null)
        {
            throw new CrmValidationException(root, "a rule is required.");
        }

        if (string.IsNullOrWhiteSpace(rule.Id) || rule.Id.Length > 100 || rule.Id.Any(char.IsWhiteSpace))
        {
            errors.Add(new(root + ".id", "a rule id of 1 to 100 characters without spaces is required."));
        }

        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add(new(root + ".name", "a rule needs a name."));
        }

        if (string.IsNullOrWhiteSpace(rule.Trigger))
        {
            errors.Add(new(root + ".trigger", "name the event type that triggers the rule, e.g. DealOpened."));
        }

        if (rule.Version < 1)
        {
            errors.Add(new(root + ".version", $"must be 1 or more; got {rule.Version}."));
        }

        rule.When?.Validate(root + ".when", errors);
        rule.Criteria?.Validate(root + ".criteria", errors);
        for (var i = 0; i < (rule.Actions?.Count ?? 0); i++)
        {
            ValidateAction(rule.Actions![i], $"{root}.actions[{i}]", errors);
        }

        for (var i = 0; i < (rule.Scheduled?.Count ?? 0); i++)
        {
            var scheduled = rule.Scheduled![i];
            var path = $"{root}.scheduled[{i}]";
            if (scheduled is null)
            {
                errors.Add(new(path, "a scheduled action cannot be null."));
                continue;
            }

            ValidateAction(scheduled.Action, path + ".action", errors);
            scheduled.Unless?.Validate(path + ".unless", errors);
        }

        if (rule.Deadline is { } deadline)
        {
            if (deadline.MetWhen is null)
            {
                errors.Add(new(root + ".deadline.metWhen", "say what makes the rule met."));
            }
            else
            {
                deadline.MetWhen.Validate(root + ".deadline.metWhen", errors);
            }
        }

        if (rule.Exceptions is { } exceptions)
        {
            if (string.IsNullOrWhiteSpace(exceptions.Flag))
            {
                errors.Add(new(root + ".exceptions.flag", "name the flag a seller sets, e.g. Complex."));
            }

            if (exceptions.Reasons is null || exceptions.Reasons.Count == 0)
            {
                errors.Add(new(root + ".exceptions.reasons", "list at least one reason."));
            }

            if (rule.Deadline is null)
            {
                errors.Add(new(root + ".exceptions", "exceptions need a deadline to extend or stop."));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }

    private static void ValidateAction(RuleAction? action, string path, List<ValidationError> errors)
    {
        switch (action)
        {
            case null:
                errors.Add(new(path, "an action is required."));
                break;
            case NotifyRuleAction n when string.IsNullOrWhiteSpace(n.Subject):
                errors.Add(new(path + ".subject", "a notification needs a subject."));
                break;
            case NotifyRuleAction { To: Recipient.User, User: null }:
            case CreateTaskRuleAction { For: Recipient.User, User: null }:
                errors.Add(new(path + ".user", "name the user when the recipient is a user."));
                break;
            case CreateTaskRuleAction t when string.IsNullOrWhiteSpace(t.Title):
                errors.Add(new(path + ".title", "a task needs a title."));
                break;
            case SetDealFieldRuleAction { Name: var name } when string.IsNullOrWhiteSpace(name):
            case SetDealClassifierRuleAction { Name: var name2 } when string.IsNullOrWhiteSpace(name2):
            case SetClientClassifierRuleAction { Name: var name3 } when string.IsNullOrWhiteSpace(name3):
                errors.Add(new(path + ".name", "a name is required."));
                break;
            case StartProcessRuleAction p when string.IsNullOrWhiteSpace(p.TemplateId):
                errors.Add(new(path + ".templateId", "a process template id is required."));
                break;
            case PluginRuleAction p when string.IsNullOrWhiteSpace(p.Name):
                errors.Add(new(path + ".name", "name the plug-in action."));
                break;
        }
    }
}

/// <summary>Reads and writes rules as JSON (what an admin edits or a methodology ships), validating on load.</summary>
/// <example><code>
/// { "id": "small-deal-offer", "name": "Small deal: offer within 5 days", "trigger": "DealOpened",
///   "criteria": { "type": "compare", "field": "deal.amount", "op": "LessThan", "value": 10000 },
///   "actions": [ { "type": "notify", "subject": "Send an offer", "body": "…" } ],
///   "deadline": { "within": "5 working days", "metWhen": { "type": "isSet", "field": "deal.field.offerSent" } } }
/// </code></example>
public static class RuleJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    /// <summary>Loads and validates a rule.</summary>
    /// <exception cref="CrmValidationException">Malformed JSON or an invalid rule; each problem has its JSON path.</exception>
    public static RuleDefinition Load(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        RuleDefinition? rule;
        try
        {
            rule = JsonSerializer.Deserialize<RuleDefinition>(json, Options);
        }
        catch (JsonException e)
        {
            throw new CrmValidationException(e.Path ?? "$", $"the JSON cannot be read as a rule: {e.Message.Split(" Path:")[0]}");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new CrmValidationException("$", "the JSON cannot be read as a rule: " + e.Message);
        }

        RuleValidation.Validate(rule, "$");
        return rule!;
    }

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

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(CrmJson.Options)
        {
            WriteIndented = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            AllowOutOfOrderMetadataProperties = true,
        };
        options.Converters.Add(new BusinessDurationConverter());
        return options;
    }

    private sealed class BusinessDurationConverter : JsonConverter<BusinessDuration>
    {
        public override BusinessDuration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            BusinessDuration.TryParse(reader.GetString(), out var value)
                ? value
                : throw new JsonException($"'{reader.GetString()}' is not a duration such as \"5 working days\", \"PT4H working\" or \"PT48H\".");

        public override void Write(Utf8JsonWriter writer, BusinessDuration value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
