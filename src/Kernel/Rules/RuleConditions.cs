using System.Globalization;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Abstractions.Events;
using Crm.Kernel.Clients;
using Crm.Kernel.Automation;
using Crm.Kernel.Deals;

namespace Crm.Kernel.Rules;

/// <summary>
/// What a condition is evaluated against: the deal, its client, and the event that triggered the rule (when any).
/// Fields are read by path: <c>deal.amount</c>, <c>deal.currency</c>, <c>deal.stage</c>, <c>deal.source</c>,
/// <c>deal.owner</c>, <c>deal.title</c>, <c>deal.status</c>, <c>deal.pipeline</c>, <c>deal.field.&lt;name&gt;</c>,
/// <c>deal.classifier.&lt;name&gt;</c>, <c>client.name</c>, <c>client.region</c>, <c>client.city</c>, <c>client.industry</c>,
/// <c>client.kind</c>, <c>client.classifier.&lt;name&gt;</c>, <c>event.&lt;property&gt;</c>.
/// </summary>
/// <param name="Deal">The deal.</param>
/// <param name="Client">The deal's client.</param>
/// <param name="Event">The triggering event, when evaluating a trigger or criteria.</param>
public sealed record RuleSubject(Deal Deal, Client? Client, DomainEvent? Event = null)
{
    /// <summary>The value at a path as text, or null when it is not set.</summary>
    public string? Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith("deal.field.", StringComparison.Ordinal))
        {
            return Deal.Fields.GetValueOrDefault(path["deal.field.".Length..]);
        }

        if (path.StartsWith("deal.classifier.", StringComparison.Ordinal))
        {
            return Deal.Classifiers.GetValueOrDefault(path["deal.classifier.".Length..]);
        }

        if (path.StartsWith("client.classifier.", StringComparison.Ordinal))
        {
            return Client?.Classifiers.GetValueOrDefault(path["client.classifier.".Length..]);
        }

        if (path.StartsWith("event.", StringComparison.Ordinal))
        {
            var property = Event?.GetType().GetProperty(path["event.".Length..], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            return property?.GetValue(Event) switch
            {
                null => null,
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString(),
            };
        }

        return path switch
        {
            "deal.amount" => Deal.Amount.Amount.ToString(CultureInfo.InvariantCulture),
            "deal.currency" => Deal.Amount.Currency,
            "deal.stage" => Deal.Stage.Value,
            "deal.source" => Deal.Source,
            "deal.owner" => Deal.Owner.Value,
            "deal.title" => Deal.Title,
            "deal.status" => Deal.Status.ToString().ToLowerInvariant(),
            "deal.pipeline" => Deal.Pipeline.Value,
            "client.name" => Client?.Name,
            "client.region" => Client?.Region,
            "client.city" => Client?.City,
            "client.industry" => Client?.Industry,
            "client.kind" => Client?.Kind.ToString().ToLowerInvariant(),
            _ => null,
        };
    }

    /// <summary>The deal as a read-only view (what C# conditions and plug-in handlers see).</summary>
    public DealView View => Deal.ToView();

    internal static bool IsKnownPath(string? path) =>
        path is "deal.amount" or "deal.currency" or "deal.stage" or "deal.source" or "deal.owner" or "deal.title" or "deal.status"
            or "deal.pipeline" or "client.name" or "client.region" or "client.city" or "client.industry" or "client.kind"
        || (path is not null && (Prefixed(path, "deal.field.") || Prefixed(path, "deal.classifier.") || Prefixed(path, "client.classifier.") || Prefixed(path, "event.")));

    private static bool Prefixed(string path, string prefix) => path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal);
}

/// <summary>A field path resolved once into what to read, so evaluation does no string work (the hot path of rule matching).</summary>
internal readonly record struct FieldAccessor(FieldAccessor.Source From, string Path, string? Name)
{
    public enum Source
    {
        Unknown,
        Amount,
        Currency,
        Stage,
        DealSource,
        Owner,
        Title,
        Status,
        Pipeline,
        DealField,
        DealClassifier,
        ClientName,
        ClientRegion,
        ClientCity,
        ClientIndustry,
        ClientKind,
        ClientClassifier,
        Event,
    }

    public static FieldAccessor For(string? path) => path switch
    {
        null => new(Source.Unknown, "", null),
        "deal.amount" => new(Source.Amount, path, null),
        "deal.currency" => new(Source.Currency, path, null),
        "deal.stage" => new(Source.Stage, path, null),
        "deal.source" => new(Source.DealSource, path, null),
        "deal.owner" => new(Source.Owner, path, null),
        "deal.title" => new(Source.Title, path, null),
        "deal.status" => new(Source.Status, path, null),
        "deal.pipeline" => new(Source.Pipeline, path, null),
        "client.name" => new(Source.ClientName, path, null),
        "client.region" => new(Source.ClientRegion, path, null),
        "client.city" => new(Source.ClientCity, path, null),
        "client.industry" => new(Source.ClientIndustry, path, null),
        "client.kind" => new(Source.ClientKind, path, null),
        _ when path.StartsWith("deal.field.", StringComparison.Ordinal) => new(Source.DealField, path, path["deal.field.".Length..]),
        _ when path.StartsWith("deal.classifier.", StringComparison.Ordinal) => new(Source.DealClassifier, path, path["deal.classifier.".Length..]),
        _ when path.StartsWith("client.classifier.", StringComparison.Ordinal) => new(Source.ClientClassifier, path, path["client.classifier.".Length..]),
        _ when path.StartsWith("event.", StringComparison.Ordinal) => new(Source.Event, path, path["event.".Length..]),
        _ => new(Source.Unknown, path, null),
    };

    public string? Text(RuleSubject subject) => From switch
    {
        Source.Amount => subject.Deal.Amount.Amount.ToString(CultureInfo.InvariantCulture),
        Source.Currency => subject.Deal.Amount.Currency,
        Source.Stage => subject.Deal.Stage.Value,
        Source.DealSource => subject.Deal.Source,
        Source.Owner => subject.Deal.Owner.Value,
        Source.Title => subject.Deal.Title,
        Source.Status => subject.Deal.Status switch { DealStatus.Won => "won", DealStatus.Lost => "lost", _ => "open" },
        Source.Pipeline => subject.Deal.Pipeline.Value,
        Source.DealField => subject.Deal.Fields.GetValueOrDefault(Name!),
        Source.DealClassifier => subject.Deal.Classifiers.GetValueOrDefault(Name!),
        Source.ClientName => subject.Client?.Name,
        Source.ClientRegion => subject.Client?.Region,
        Source.ClientCity => subject.Client?.City,
        Source.ClientIndustry => subject.Client?.Industry,
        Source.ClientKind => subject.Client?.Kind == ClientKind.Person ? "person" : subject.Client is null ? null : "company",
        Source.ClientClassifier => subject.Client?.Classifiers.GetValueOrDefault(Name!),
        Source.Event => subject.Read(Path),
        _ => null,
    };

    public decimal? Number(RuleSubject subject) => From == Source.Amount
        ? subject.Deal.Amount.Amount
        : decimal.TryParse(Text(subject), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>
/// Evaluates the one condition tree (<see cref="Condition"/>) against a rule subject (deal, client, event) or against a
/// process instance's variables (<c>variables.&lt;name&gt;</c>). Text comparisons ignore case.
/// </summary>
internal static class ConditionEvaluation
{
    /// <summary>Whether <paramref name="condition"/> holds for the deal, client and event.</summary>
    public static bool IsTrue(this Condition condition, RuleSubject subject) => condition switch
    {
        FieldEquals e => string.Equals(FieldAccessor.For(e.Field).Text(subject), e.Value, StringComparison.OrdinalIgnoreCase),
        FieldIn i => In(FieldAccessor.For(i.Field).Text(subject), i.Values),
        FieldCompare c => FieldAccessor.For(c.Field).Number(subject) is { } n && Compare(n, c.Op, c.Value),
        FieldBetween b => FieldAccessor.For(b.Field).Number(subject) is { } n && n >= b.Min && n <= b.Max,
        FieldIsSet s => !string.IsNullOrWhiteSpace(FieldAccessor.For(s.Field).Text(subject)),
        AllOf all => all.Conditions.All(c => c.IsTrue(subject)),
        AnyOf any => any.Conditions.Any(c => c.IsTrue(subject)),
        Not not => !not.Condition.IsTrue(subject),
        CodeCondition code => code.Predicate(subject.View),
        _ => throw new InvalidStateException($"The kernel cannot evaluate conditions of type {condition?.GetType().Name ?? "null"}."),
    };

    /// <summary>Whether <paramref name="condition"/> holds for a process instance's variables (paths <c>variables.&lt;name&gt;</c>).</summary>
    public static bool IsTrue(this Condition condition, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        string? Text(string field) => field.StartsWith("variables.", StringComparison.Ordinal) ? variables.GetValueOrDefault(field["variables.".Length..]) : null;
        decimal? Number(string field) => decimal.TryParse(Text(field), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : null;
        return condition switch
        {
            FieldEquals e => string.Equals(Text(e.Field), e.Value, StringComparison.OrdinalIgnoreCase),
            FieldIn i => In(Text(i.Field), i.Values),
            FieldCompare c => Number(c.Field) is { } n && Compare(n, c.Op, c.Value),
            FieldBetween b => Number(b.Field) is { } n && n >= b.Min && n <= b.Max,
            FieldIsSet s => !string.IsNullOrWhiteSpace(Text(s.Field)),
            AllOf all => all.Conditions.All(c => c.IsTrue(variables)),
            AnyOf any => any.Conditions.Any(c => c.IsTrue(variables)),
            Not not => !not.Condition.IsTrue(variables),
            _ => throw new InvalidStateException($"A process guard cannot be a {condition?.GetType().Name ?? "null"}."),
        };
    }

    /// <summary>A short human-readable form, e.g. for exported process graphs and dry runs.</summary>
    public static string Describe(this Condition condition) => condition switch
    {
        FieldEquals e => $"{Short(e.Field)} == {e.Value}",
        FieldIn i => $"{Short(i.Field)} in ({string.Join(", ", i.Values)})",
        FieldCompare c => $"{Short(c.Field)} {c.Op switch { Comparison.LessThan => "<", Comparison.LessOrEqual => "<=", Comparison.GreaterThan => ">", _ => ">=" }} {c.Value.ToString(CultureInfo.InvariantCulture)}",
        FieldBetween b => $"{Short(b.Field)} in [{b.Min.ToString(CultureInfo.InvariantCulture)}, {b.Max.ToString(CultureInfo.InvariantCulture)}]",
        FieldIsSet s => $"{Short(s.Field)} is set",
        AllOf all => "(" + string.Join(" and ", all.Conditions.Select(Describe)) + ")",
        AnyOf any => "(" + string.Join(" or ", any.Conditions.Select(Describe)) + ")",
        Not { Condition: FieldEquals e } => $"{Short(e.Field)} != {e.Value}",
        Not not => $"not {not.Condition.Describe()}",
        CodeCondition code => code.Description,
        _ => condition?.GetType().Name ?? "null",
    };

    // Process guards read only variables; their descriptions drop the prefix as before.
    private static string Short(string field) => field.StartsWith("variables.", StringComparison.Ordinal) ? field["variables.".Length..] : field;

    private static bool In(string? value, IReadOnlyList<string> values)
    {
        if (value is null)
        {
            return false;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Compare(decimal n, Comparison op, decimal value) => op switch
    {
        Comparison.LessThan => n < value,
        Comparison.LessOrEqual => n <= value,
        Comparison.GreaterThan => n > value,
        _ => n >= value,
    };
}
