using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Kernel.Tests.Rules;

/// <summary>
/// Mutates a valid JSON document the way a careless or hostile editor would: drops keys, puts values of the wrong type,
/// huge numbers, control characters, unpaired surrogates, megabyte strings, deep nesting, swapped type discriminators,
/// copied sub-trees, duplicate keys and truncation. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal static class JsonMutator
{
    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = 4096 };
    private static readonly JsonSerializerOptions Write = new() { MaxDepth = 4096 };

    private static readonly string[] HugeNumbers =
        ["79228162514264337593543950336", "79228162514264337593543950335", "-79228162514264337593543950335", "1e400", "-1", "0", "2147483648", "2147483647", "1E23", "0.0000000000000000000000000001"];

    private static readonly string[] Texts =
        ["", " ", "\u0000", "a\u0007b", "@@DC00@@", "@@D800@@x", "2147483647 working days", "P106751991D", "PT9999999999H working", "3660 working days",
         "0 working days", "P3660D", "PT1H", "deal.amount", "deal.field.x", "event.amount", "DealOpened", "DealStageChanged", "won", "lost", "lead",
         "qualified", "unsorted", "refused", "contacted", "requirements-received", "{title} {amount} {owner} {deal}", "User", "OwnerHead", "7",
         "delivery", "contract-approval", "s1", "nobody", "LessThan", "GreaterOrEqual", "yes", "\t\r\n"];

    private static readonly string[] Types =
        ["notify", "createTask", "setDealField", "setDealClassifier", "setClientClassifier", "moveStage", "startProcess", "achieveGoal", "plugin",
         "equals", "in", "compare", "between", "isSet", "all", "any", "not", "setField", "waitForEvent", "startSubProcess", "notEquals", "allOf", "anyOf", "teleport"];

    public static string Mutate(string json, Random random)
    {
        var root = JsonNode.Parse(json, documentOptions: Deep)!;
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            root = MutateOnce(root, random);
        }

        // Unpaired surrogates cannot pass through the writer; they go in as escapes afterwards.
        var text = root.ToJsonString(Write).Replace("@@DC00@@", "\\uDC00", StringComparison.Ordinal).Replace("@@D800@@", "\\uD800", StringComparison.Ordinal);
        return random.Next(10) switch
        {
            0 => DuplicateKey(text, random),
            1 => text[..random.Next(text.Length)],
            2 => text.Insert(random.Next(text.Length), ((char)random.Next(0, 32)).ToString()),
            _ => text,
        };
    }

    private static JsonNode MutateOnce(JsonNode root, Random random)
    {
        var places = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, places);
        if (places.Count == 0)
        {
            return root;
        }

        var (parent, key, index) = places[random.Next(places.Count)];
        var current = key is not null ? parent[key] : parent[index];
        JsonNode? replacement;
        switch (random.Next(9))
        {
            case 0:
                Remove(parent, key, index);
                return root;
            case 1:
                replacement = random.Next(7) switch
                {
                    0 => JsonValue.Create(42),
                    1 => JsonValue.Create(true),
                    2 => null,
                    3 => JsonValue.Create("text"),
                    4 => new JsonArray(),
                    5 => new JsonObject(),
                    _ => JsonValue.Create(1.5),
                };
                break;
            case 2:
                replacement = JsonNode.Parse(HugeNumbers[random.Next(HugeNumbers.Length)]);
                break;
            case 3:
                replacement = JsonValue.Create(random.Next(8) == 0 ? new string('x', 1_000_001) : Texts[random.Next(Texts.Length)]);
                break;
            case 4:
                replacement = JsonNode.Parse(DeepText(random.Next(2) == 0, 10 + random.Next(200)), documentOptions: Deep);
                break;
            case 5:
                if (current is JsonObject o && o["type"] is not null)
                {
                    o["type"] = Types[random.Next(Types.Length)];
                    return root;
                }

                replacement = current?.DeepClone();
                break;
            case 6:
                if (current is JsonObject extra)
                {
                    extra["colour"] = "red";
                    return root;
                }

                replacement = current?.DeepClone();
                break;
            default:
                // Copy another sub-tree here: keeps the shape plausible while breaking meaning.
                var (p2, k2, i2) = places[random.Next(places.Count)];
                replacement = (k2 is not null ? p2[k2] : p2[i2])?.DeepClone();
                break;
        }

        if (key is not null)
        {
            parent[key] = replacement;
        }
        else
        {
            parent[index] = replacement;
        }

        return root;
    }

    private static string DeepText(bool arrays, int depth)
    {
        var text = new StringBuilder();
        if (arrays)
        {
            text.Append('[', depth).Append('1').Append(']', depth);
        }
        else
        {
            for (var i = 0; i < depth; i++)
            {
                text.Append("{\"condition\": \"not\",\"of\":");
            }

            text.Append("{\"condition\": \"isSet\",\"field\":\"deal.title\",\"name\":\"x\"}").Append('}', depth);
        }

        return text.ToString();
    }

    private static string DuplicateKey(string text, Random random)
    {
        var at = text.IndexOf('{', random.Next(Math.Max(1, text.Length / 2)));
        return at < 0 ? text : text.Insert(at + 1, "\"id\":\"dup\",\"action\": \"notify\",");
    }

    private static void Remove(JsonNode parent, string? key, int index)
    {
        if (parent is JsonObject o && key is not null)
        {
            o.Remove(key);
        }
        else if (parent is JsonArray a)
        {
            a.RemoveAt(index);
        }
    }

    private static void Collect(JsonNode node, List<(JsonNode, string?, int)> places)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToArray())
                {
                    places.Add((o, key, -1));
                    if (value is not null)
                    {
                        Collect(value, places);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    places.Add((a, null, i));
                    if (a[i] is { } item)
                    {
                        Collect(item, places);
                    }
                }

                break;
        }
    }
}
