using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using NodaTime.Text;

namespace Crm.Kernel.Automation;

/// <summary>
/// The one reader and writer of actions and conditions, used by pipeline (goal) JSON, process template JSON and rule
/// JSON. Input from people and plug-ins must use the current shape (<c>"action"</c> / <c>"condition"</c>
/// discriminators); an old shape (a <c>"type"</c> discriminator) is refused with a message naming the new one. Stored
/// data written by earlier kernels is read with <see cref="Upcasting"/> converters, which translate the old shapes.
/// </summary>
internal static class AutomationJson
{
    public const string DocsLink = "see docs/automation.md";
    public const string ActionKinds = "notify, createTask, setField, moveToStage, assignOwner, startProcess, achieveGoal, plugin, waitForEvent";
    public const string ConditionKinds = "equals, in, compare, between, isSet, allOf, anyOf, not";

    /// <summary>Converters that refuse old shapes (input).</summary>
    public static JsonConverter[] Strict { get; } = [new ActionConverter(false), new ConditionConverter(false), new RecipientConverter(false), new BusinessDurationConverter()];

    /// <summary>Converters that read old shapes too (stored data).</summary>
    public static JsonConverter[] Upcasting { get; } = [new ActionConverter(true), new ConditionConverter(true), new RecipientConverter(true), new BusinessDurationConverter()];

    /// <summary>An error inside an action or condition; <see cref="Relative"/> is the path below the converter's start, e.g. <c>.conditions[1]</c>.</summary>
    internal sealed class ShapeException(string relative, string message) : JsonException(message)
    {
        public string Relative { get; } = relative;
    }

    /// <summary>The JSON path and a message for a reading error, in the file's terms.</summary>
    public static (string Path, string Message) Describe(JsonException e)
    {
        var path = e.Path ?? "$";
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return e is ShapeException shape ? (path + shape.Relative, message) : (path, message);
    }

    /// <summary>Adds the upcasting converters to the options of stored documents and events.</summary>
    public static void AddStoredConverters(IList<JsonConverter> converters)
    {
        converters.Add(Upcasting[0]);
        converters.Add(Upcasting[1]);
        converters.Add(Upcasting[2]);
    }

    private static ShapeException Error(string path, string message) => new(path, message);

    private static string OldShape(string what, string? oldKind, string example) =>
        $"'type: {oldKind}' is the old {what} shape; write {example} ({DocsLink}).";

    // ---- actions ----

    public static AutomationAction ReadAction(JsonElement e, string path, bool upcast)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"an action is an object such as {{\"action\":\"notify\",\"subject\":\"…\",\"body\":\"…\"}}; kinds: {ActionKinds}.");
        }

        // An old scheduled rule action held its action in "action" (an object); the new discriminator is always a string.
        if (!e.TryGetProperty("action", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            if (e.TryGetProperty("type", out var old) && old.ValueKind == JsonValueKind.String)
            {
                return upcast ? ReadOldAction(e, path, old.GetString()!) : throw Error(path, OldShape("action", old.GetString(), NewActionExample(old.GetString())));
            }

            throw Error(path, $"an action needs \"action\": one of {ActionKinds} ({DocsLink}).");
        }

        var fields = new Fields(e, path, "action");
        AutomationAction action = kind.GetString() switch
        {
            "notify" => new Notify(fields.Str("subject")!, fields.Str("body")!, fields.Recipient("to", upcast)),
            "createTask" => new CreateTask(fields.Str("title")!, fields.Duration("due"), fields.Recipient("assignee", upcast)),
            "setField" => new SetField(fields.Str("field")!, fields.Str("value")),
            "moveToStage" => new MoveToStage(fields.Str("stage") is { } stage ? new StageId(stage) : default),
            "assignOwner" => new AssignOwner(fields.Recipient("to", upcast)),
            "startProcess" => new StartProcess(fields.Str("template")!),
            "achieveGoal" => new AchieveGoal(fields.Str("goal") is { } goal ? new GoalId(goal) : default),
            "plugin" => new PluginAction(fields.Str("handler")!, fields.Map("parameters")!),
            "waitForEvent" => new WaitForEvent(fields.Str("event")!, fields.Str("trigger")!),
            var other => throw Error(path + ".action", $"unknown action '{other}'; use one of {ActionKinds}."),
        };
        fields.RefuseOthers();
        return action;
    }

    private static string NewActionExample(string? old) => old switch
    {
        "notify" => "{\"action\":\"notify\",\"to\":\"dealOwner\",\"subject\":\"…\",\"body\":\"…\"}",
        "createTask" => "{\"action\":\"createTask\",\"assignee\":\"dealOwner\",\"title\":\"…\",\"due\":\"1 working day\"}",
        "setField" or "setDealField" => "{\"action\":\"setField\",\"field\":\"deal.field.<name>\",\"value\":\"…\"}",
        "setDealClassifier" => "{\"action\":\"setField\",\"field\":\"deal.classifier.<name>\",\"value\":\"…\"}",
        "setClientClassifier" => "{\"action\":\"setField\",\"field\":\"client.classifier.<name>\",\"value\":\"…\"}",
        "moveStage" or "moveToStage" => "{\"action\":\"moveToStage\",\"stage\":\"…\"}",
        "startProcess" or "startSubProcess" => "{\"action\":\"startProcess\",\"template\":\"…\"}",
        "achieveGoal" => "{\"action\":\"achieveGoal\",\"goal\":\"…\"}",
        "plugin" => "{\"action\":\"plugin\",\"handler\":\"…\",\"parameters\":{}}",
        "waitForEvent" => "{\"action\":\"waitForEvent\",\"event\":\"…\",\"trigger\":\"…\"}",
        _ when old?.StartsWith("assignOwner", StringComparison.Ordinal) == true => "{\"action\":\"assignOwner\",\"to\":\"user:<id>|team:<id>|stageManager\"}",
        _ => "{\"action\":\"<kind>\",…} with a kind of " + ActionKinds,
    };

    // Reads the shapes the kernel stored before the one action model: goal reactions, rule actions and process actions.
    private static AutomationAction ReadOldAction(JsonElement e, string path, string type)
    {
        var f = new Fields(e, path, "type");
        AutomationAction action = type switch
        {
            "moveToStage" or "moveStage" => new MoveToStage(new StageId(f.Str("stage")!)),
            "setClientClassifier" => new SetField("client.classifier." + (f.Str("name") ?? f.Str("classifier")), f.Str("value")),
            "setDealField" => new SetField("deal.field." + f.Str("name"), f.Str("value")),
            "setField" => new SetField("deal.field." + f.Str("field"), f.Str("value")),
            "setDealClassifier" => new SetField("deal.classifier." + f.Str("name"), f.Str("value")),
            "assignOwnerToUser" => new AssignOwner(new Recipient(RecipientKind.User, f.Str("user"))),
            "assignOwnerRoundRobin" => new AssignOwner(new Recipient(RecipientKind.Team, f.Str("team"))),
            "assignOwnerToStageManager" => new AssignOwner(new Recipient(RecipientKind.StageManager, f.Str("stage"))),
            "createTask" => new CreateTask(f.Str("title")!, OldDue(f), OldRecipient(f, "for", "assignee")),
            "notify" => new Notify(f.Str("subject")!, f.Str("body")!, OldRecipient(f, "to", "recipient")),
            "startProcess" or "startSubProcess" => new StartProcess(f.Str("templateId")!),
            "achieveGoal" => new AchieveGoal(new GoalId(f.Str("goal")!)),
            "plugin" => new PluginAction(f.Str("name")!, f.Map("parameters") ?? new Dictionary<string, string>()),
            "waitForEvent" => new WaitForEvent(f.Str("eventType")!, f.Str("trigger")!),
            _ => throw Error(path + ".type", $"unknown stored action type '{type}'."),
        };
        f.RefuseOthers();
        return action;
    }

    private static BusinessDuration OldDue(Fields f)
    {
        if (f.Str("dueIn") is { } dueIn)
        {
            // Goal reactions stored a NodaTime Duration (round-trip pattern): plain elapsed time.
            return BusinessDuration.Calendar(DurationPattern.Roundtrip.Parse(dueIn).Value);
        }

        return f.Duration("due");
    }

    private static Recipient OldRecipient(Fields f, string enumName, string objectName)
    {
        var user = f.Str("user");
        if (f.Element(objectName) is { ValueKind: JsonValueKind.Object } assignee)
        {
            return assignee.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                ? new Recipient(RecipientKind.Role, role.GetString())
                : new Recipient(RecipientKind.User, assignee.TryGetProperty("user", out var u) ? u.GetString() : null);
        }

        return f.Str(enumName) switch
        {
            "OwnerHead" or "ownerHead" => Recipient.OwnerHead,
            "User" or "user" => new Recipient(RecipientKind.User, user),
            _ => Recipient.DealOwner,
        };
    }

    public static void WriteAction(Utf8JsonWriter w, AutomationAction action)
    {
        w.WriteStartObject();
        switch (action)
        {
            case Notify n:
                w.WriteString("action", "notify");
                w.WriteString("to", n.To.ToString());
                w.WriteString("subject", n.Subject);
                w.WriteString("body", n.Body);
                break;
            case CreateTask t:
                w.WriteString("action", "createTask");
                w.WriteString("assignee", t.Assignee.ToString());
                w.WriteString("title", t.Title);
                w.WriteString("due", t.Due.ToString());
                break;
            case SetField s:
                w.WriteString("action", "setField");
                w.WriteString("field", s.Field);
                w.WriteString("value", s.Value);
                break;
            case MoveToStage m:
                w.WriteString("action", "moveToStage");
                w.WriteString("stage", m.Stage.Value);
                break;
            case AssignOwner a:
                w.WriteString("action", "assignOwner");
                w.WriteString("to", a.To.ToString());
                break;
            case StartProcess p:
                w.WriteString("action", "startProcess");
                w.WriteString("template", p.Template);
                break;
            case AchieveGoal g:
                w.WriteString("action", "achieveGoal");
                w.WriteString("goal", g.Goal.Value);
                break;
            case PluginAction p:
                w.WriteString("action", "plugin");
                w.WriteString("handler", p.Handler);
                w.WriteStartObject("parameters");
                foreach (var (key, value) in p.Parameters ?? new Dictionary<string, string>())
                {
                    w.WriteString(key, value);
                }

                w.WriteEndObject();
                break;
            case WaitForEvent wait:
                w.WriteString("action", "waitForEvent");
                w.WriteString("event", wait.EventType);
                w.WriteString("trigger", wait.Trigger);
                break;
            default:
                throw new NotSupportedException($"Actions of type {action?.GetType().Name ?? "null"} have no JSON form.");
        }

        w.WriteEndObject();
    }

    // ---- conditions ----

    public static Condition ReadCondition(JsonElement e, string path, bool upcast, int depth = 0)
    {
        if (depth > 64)
        {
            throw Error(path, "conditions nest too deep.");
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"a condition is an object such as {{\"condition\":\"equals\",\"field\":\"deal.stage\",\"value\":\"…\"}}; kinds: {ConditionKinds}.");
        }

        // An old "not" carried its operand in "condition"; the new discriminator is always a string.
        if (!e.TryGetProperty("condition", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            if (e.TryGetProperty("type", out var old) && old.ValueKind == JsonValueKind.String)
            {
                return upcast ? ReadOldCondition(e, path, old.GetString()!, depth) : throw Error(path, OldShape("condition", old.GetString(), NewConditionExample(old.GetString())));
            }

            throw Error(path, $"a condition needs \"condition\": one of {ConditionKinds} ({DocsLink}).");
        }

        var f = new Fields(e, path, "condition");
        Condition condition = kind.GetString() switch
        {
            "equals" => new FieldEquals(f.Str("field")!, f.Str("value")!),
            "in" => new FieldIn(f.Str("field")!, f.List("values")!),
            "compare" => new FieldCompare(f.Str("field")!, f.Op("op", upcast), f.Number("value")),
            "between" => new FieldBetween(f.Str("field")!, f.Number("min"), f.Number("max")),
            "isSet" => new FieldIsSet(f.Str("field")!),
            "allOf" => new AllOf(f.Conditions("conditions", upcast, depth)!),
            "anyOf" => new AnyOf(f.Conditions("conditions", upcast, depth)!),
            "not" => new Not(f.Condition("of", upcast, depth)!),
            var other => throw Error(path + ".condition", $"unknown condition '{other}'; use one of {ConditionKinds}."),
        };
        f.RefuseOthers();
        return condition;
    }

    private static string NewConditionExample(string? old) => old switch
    {
        "equals" => "{\"condition\":\"equals\",\"field\":\"deal.stage\",\"value\":\"…\"} (process variables: \"field\":\"variables.<name>\")",
        "notEquals" => "{\"condition\":\"not\",\"of\":{\"condition\":\"equals\",\"field\":\"variables.<name>\",\"value\":\"…\"}}",
        "isSet" => "{\"condition\":\"isSet\",\"field\":\"…\"}",
        "all" or "allOf" => "{\"condition\":\"allOf\",\"conditions\":[…]}",
        "any" or "anyOf" => "{\"condition\":\"anyOf\",\"conditions\":[…]}",
        "not" => "{\"condition\":\"not\",\"of\":{…}}",
        "compare" => "{\"condition\":\"compare\",\"field\":\"deal.amount\",\"op\":\"lessThan\",\"value\":10000}",
        "between" => "{\"condition\":\"between\",\"field\":\"deal.amount\",\"min\":0,\"max\":10}",
        "in" => "{\"condition\":\"in\",\"field\":\"…\",\"values\":[…]}",
        _ => "{\"condition\":\"<kind>\",…} with a kind of " + ConditionKinds,
    };

    private static Condition ReadOldCondition(JsonElement e, string path, string type, int depth)
    {
        var f = new Fields(e, path, "type");
        // Process guards named a variable ("name"); rule conditions named a field path ("field").
        string Field() => f.Str("field") ?? (f.Str("name") is { } n ? "variables." + n : null)!;
        Condition condition = type switch
        {
            "equals" => new FieldEquals(Field(), f.Str("value")!),
            "notEquals" => new Not(new FieldEquals(Field(), f.Str("value")!)),
            "in" => new FieldIn(Field(), f.List("values")!),
            "compare" => new FieldCompare(Field(), f.Op("op", true), f.Number("value")),
            "between" => new FieldBetween(Field(), f.Number("min"), f.Number("max")),
            "isSet" => new FieldIsSet(Field()),
            "all" or "allOf" => new AllOf(f.Conditions("conditions", true, depth)!),
            "any" or "anyOf" => new AnyOf(f.Conditions("conditions", true, depth)!),
            "not" => new Not(f.Condition("condition", true, depth)!),
            _ => throw Error(path + ".type", $"unknown stored condition type '{type}'."),
        };
        f.RefuseOthers();
        return condition;
    }

    public static void WriteCondition(Utf8JsonWriter w, Condition condition)
    {
        w.WriteStartObject();
        switch (condition)
        {
            case FieldEquals e:
                w.WriteString("condition", "equals");
                w.WriteString("field", e.Field);
                w.WriteString("value", e.Value);
                break;
            case FieldIn i:
                w.WriteString("condition", "in");
                w.WriteString("field", i.Field);
                w.WriteStartArray("values");
                foreach (var v in i.Values ?? [])
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                break;
            case FieldCompare c:
                w.WriteString("condition", "compare");
                w.WriteString("field", c.Field);
                w.WriteString("op", OpName(c.Op));
                w.WriteNumber("value", c.Value);
                break;
            case FieldBetween b:
                w.WriteString("condition", "between");
                w.WriteString("field", b.Field);
                w.WriteNumber("min", b.Min);
                w.WriteNumber("max", b.Max);
                break;
            case FieldIsSet s:
                w.WriteString("condition", "isSet");
                w.WriteString("field", s.Field);
                break;
            case AllOf all:
                w.WriteString("condition", "allOf");
                WriteList(w, all.Conditions);
                break;
            case AnyOf any:
                w.WriteString("condition", "anyOf");
                WriteList(w, any.Conditions);
                break;
            case Not not:
                w.WriteString("condition", "not");
                w.WritePropertyName("of");
                WriteCondition(w, not.Condition);
                break;
            default:
                throw new NotSupportedException($"Conditions of type {condition?.GetType().Name ?? "null"} (e.g. a C# CodeCondition) have no JSON form.");
        }

        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, IReadOnlyList<Condition> conditions)
    {
        w.WriteStartArray("conditions");
        foreach (var c in conditions ?? [])
        {
            WriteCondition(w, c);
        }

        w.WriteEndArray();
    }

    public static string OpName(Comparison op) => op switch
    {
        Comparison.LessThan => "lessThan",
        Comparison.LessOrEqual => "lessOrEqual",
        Comparison.GreaterThan => "greaterThan",
        Comparison.GreaterOrEqual => "greaterOrEqual",
        _ => ((int)op).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads the properties of one action or condition object, remembering which were read so the rest can be refused.</summary>
    private sealed class Fields(JsonElement e, string path, string discriminator)
    {
        private readonly HashSet<string> _read = [discriminator];

        public JsonElement? Element(string name)
        {
            _read.Add(name);
            return e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        }

        public string? Str(string name) => Element(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => Text(v, $"{path}.{name}"),
            _ => throw Error($"{path}.{name}", "expected a string."),
        };

        private static string Text(JsonElement v, string at)
        {
            try
            {
                return v.GetString()!;
            }
            catch (InvalidOperationException e)
            {
                // e.g. an escaped lone surrogate ("\uDC00"), which is no text.
                throw Error(at, "invalid text: " + e.Message);
            }
        }

        public decimal Number(string name) => Element(name) switch
        {
            null => 0m,
            { ValueKind: JsonValueKind.Number } v when v.TryGetDecimal(out var d) => d,
            _ => throw Error($"{path}.{name}", "expected a number."),
        };

        public BusinessDuration Duration(string name)
        {
            var text = Str(name);
            return text is null ? default
                : BusinessDuration.TryParse(text, out var value, out var problem) ? value : throw Error($"{path}.{name}", problem!);
        }

        public Recipient Recipient(string name, bool upcast)
        {
            var text = Str(name);
            if (text is null)
            {
                return default;
            }

            return RecipientConverter.Parse(text, upcast, $"{path}.{name}");
        }

        public Comparison Op(string name, bool upcast)
        {
            var text = Str(name);
            return text switch
            {
                "lessThan" => Comparison.LessThan,
                "lessOrEqual" => Comparison.LessOrEqual,
                "greaterThan" => Comparison.GreaterThan,
                "greaterOrEqual" => Comparison.GreaterOrEqual,
                _ when upcast && Enum.TryParse<Comparison>(text, out var old) => old,
                _ => throw Error($"{path}.{name}", $"'{text}' is not a comparison; use lessThan, lessOrEqual, greaterThan or greaterOrEqual."),
            };
        }

        public List<string>? List(string name)
        {
            if (Element(name) is not { } v)
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Array)
            {
                throw Error($"{path}.{name}", "expected an array of strings.");
            }

            var list = new List<string>();
            var i = 0;
            foreach (var item in v.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Error($"{path}.{name}[{i}]", "expected a string."));
                i++;
            }

            return list;
        }

        public Dictionary<string, string>? Map(string name)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Element(name) is not { } v)
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Object)
            {
                throw Error($"{path}.{name}", "expected an object of string values.");
            }

            foreach (var p in v.EnumerateObject())
            {
                map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw Error($"{path}.{name}.{p.Name}", "expected a string.");
            }

            return map;
        }

        public List<Condition>? Conditions(string name, bool upcast, int depth)
        {
            if (Element(name) is not { } v)
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Array)
            {
                throw Error($"{path}.{name}", "expected an array of conditions.");
            }

            var list = new List<Condition>();
            var i = 0;
            foreach (var item in v.EnumerateArray())
            {
                list.Add(ReadCondition(item, $"{path}.{name}[{i}]", upcast, depth + 1));
                i++;
            }

            return list;
        }

        public Condition? Condition(string name, bool upcast, int depth) =>
            Element(name) is { } v ? ReadCondition(v, $"{path}.{name}", upcast, depth + 1) : null;

        public void RefuseOthers()
        {
            foreach (var p in e.EnumerateObject())
            {
                if (!_read.Contains(p.Name))
                {
                    throw Error($"{path}.{p.Name}", $"unknown property '{p.Name}' ({DocsLink}).");
                }
            }
        }
    }

    private sealed class ActionConverter(bool upcast) : JsonConverter<AutomationAction>
    {
        public override AutomationAction Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            return ReadAction(doc.RootElement, "", upcast);
        }

        public override void Write(Utf8JsonWriter writer, AutomationAction value, JsonSerializerOptions options) => WriteAction(writer, value);
    }

    private sealed class ConditionConverter(bool upcast) : JsonConverter<Condition>
    {
        public override Condition Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            return ReadCondition(doc.RootElement, "", upcast);
        }

        public override void Write(Utf8JsonWriter writer, Condition value, JsonSerializerOptions options) => WriteCondition(writer, value);
    }

    internal sealed class RecipientConverter(bool upcast) : JsonConverter<Recipient>
    {
        public static Recipient Parse(string text, bool upcast, string path)
        {
            if (Crm.Abstractions.Automation.Recipient.TryParse(text, out var recipient, out var problem))
            {
                return recipient;
            }

            // The enum names rules and goals stored before the one recipient type.
            return upcast && text is "DealOwner" ? Crm.Abstractions.Automation.Recipient.DealOwner
                : upcast && text is "OwnerHead" ? Crm.Abstractions.Automation.Recipient.OwnerHead
                : throw Error(path, problem!);
        }

        public override Recipient Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()!, upcast, "") : throw Error("", "expected a recipient such as \"ownerHead\".");

        public override void Write(Utf8JsonWriter writer, Recipient value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }

    internal sealed class BusinessDurationConverter : JsonConverter<BusinessDuration>
    {
        public override BusinessDuration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType != JsonTokenType.String
                ? throw new JsonException("expected a duration string such as \"5 working days\", \"PT4H working\" or \"PT48H\".")
                : BusinessDuration.TryParse(reader.GetString(), out var value, out var problem)
                    ? value
                    : throw new JsonException(problem);

        public override void Write(Utf8JsonWriter writer, BusinessDuration value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
