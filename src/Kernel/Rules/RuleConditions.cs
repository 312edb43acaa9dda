using System.Globalization;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Clients;
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

/// <summary>How <see cref="FieldCompare"/> compares a number.</summary>
public enum Comparison
{
    /// <summary>Less than.</summary>
    LessThan = 0,
    /// <summary>Less than or equal.</summary>
    LessOrEqual = 1,
    /// <summary>Greater than.</summary>
    GreaterThan = 2,
    /// <summary>Greater than or equal.</summary>
    GreaterOrEqual = 3,
}

/// <summary>A serializable condition over a deal, its client and the triggering event (see <see cref="RuleSubject"/> for paths).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(FieldEquals), "equals")]
[JsonDerivedType(typeof(FieldIn), "in")]
[JsonDerivedType(typeof(FieldCompare), "compare")]
[JsonDerivedType(typeof(FieldBetween), "between")]
[JsonDerivedType(typeof(FieldIsSet), "isSet")]
[JsonDerivedType(typeof(WhenAll), "all")]
[JsonDerivedType(typeof(WhenAny), "any")]
[JsonDerivedType(typeof(WhenNot), "not")]
public abstract record RuleCondition
{
    private protected RuleCondition()
    {
    }

    /// <summary>Evaluates the condition.</summary>
    public abstract bool IsTrue(RuleSubject subject);

    internal abstract void Validate(string path, List<ValidationError> errors);

    private protected static void CheckField(string path, string? field, List<ValidationError> errors)
    {
        if (!RuleSubject.IsKnownPath(field))
        {
            errors.Add(new(path + ".field", $"unknown field '{field}'; use deal.amount, deal.stage, deal.field.<name>, deal.classifier.<name>, client.region, client.classifier.<name>, event.<property>…"));
        }
    }

    /// <summary>The resolved accessor, re-resolved if a <c>with</c> expression changed the path since.</summary>
    private protected static FieldAccessor Accessor(ref FieldAccessor cached, string field)
    {
        if (!ReferenceEquals(cached.Path, field))
        {
            cached = FieldAccessor.For(field);
        }

        return cached;
    }
}

/// <summary>The field equals the value (ordinal, case-insensitive).</summary>
public sealed record FieldEquals(string Field, string Value) : RuleCondition
{
    private FieldAccessor _field = FieldAccessor.For(Field);

    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => string.Equals(Accessor(ref _field, Field).Text(subject), Value, StringComparison.OrdinalIgnoreCase);

    internal override void Validate(string path, List<ValidationError> errors) => CheckField(path, Field, errors);
}

/// <summary>The field is one of the values.</summary>
public sealed record FieldIn(string Field, IReadOnlyList<string> Values) : RuleCondition
{
    private FieldAccessor _field = FieldAccessor.For(Field);

    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject)
    {
        var value = Accessor(ref _field, Field).Text(subject);
        if (value is null)
        {
            return false;
        }

        for (var i = 0; i < Values.Count; i++)
        {
            if (string.Equals(Values[i], value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal override void Validate(string path, List<ValidationError> errors)
    {
        CheckField(path, Field, errors);
        if (Values is null || Values.Count == 0)
        {
            errors.Add(new(path + ".values", "list at least one value."));
        }
    }
}

/// <summary>The field, read as a number, compares so with the value (false when it is not a number).</summary>
public sealed record FieldCompare(string Field, Comparison Op, decimal Value) : RuleCondition
{
    private FieldAccessor _field = FieldAccessor.For(Field);

    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => Accessor(ref _field, Field).Number(subject) is { } n && Op switch
    {
        Comparison.LessThan => n < Value,
        Comparison.LessOrEqual => n <= Value,
        Comparison.GreaterThan => n > Value,
        _ => n >= Value,
    };

    internal override void Validate(string path, List<ValidationError> errors)
    {
        CheckField(path, Field, errors);
        if (!Enum.IsDefined(Op))
        {
            errors.Add(new(path + ".op", $"unknown comparison {(int)Op}."));
        }
    }
}

/// <summary>The field, read as a number, is within [Min, Max].</summary>
public sealed record FieldBetween(string Field, decimal Min, decimal Max) : RuleCondition
{
    private FieldAccessor _field = FieldAccessor.For(Field);

    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => Accessor(ref _field, Field).Number(subject) is { } n && n >= Min && n <= Max;

    internal override void Validate(string path, List<ValidationError> errors)
    {
        CheckField(path, Field, errors);
        if (Min > Max)
        {
            errors.Add(new(path, $"min {Min} is greater than max {Max}."));
        }
    }
}

/// <summary>The field has a non-empty value.</summary>
public sealed record FieldIsSet(string Field) : RuleCondition
{
    private FieldAccessor _field = FieldAccessor.For(Field);

    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => !string.IsNullOrWhiteSpace(Accessor(ref _field, Field).Text(subject));

    internal override void Validate(string path, List<ValidationError> errors) => CheckField(path, Field, errors);
}

/// <summary>All conditions hold.</summary>
public sealed record WhenAll(IReadOnlyList<RuleCondition> Conditions) : RuleCondition
{
    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject)
    {
        for (var i = 0; i < Conditions.Count; i++)
        {
            if (!Conditions[i].IsTrue(subject))
            {
                return false;
            }
        }

        return true;
    }

    internal override void Validate(string path, List<ValidationError> errors) => ValidateAll(path, Conditions, errors);

    internal static void ValidateAll(string path, IReadOnlyList<RuleCondition>? conditions, List<ValidationError> errors)
    {
        if (conditions is null || conditions.Count == 0)
        {
            errors.Add(new(path + ".conditions", "list at least one condition."));
            return;
        }

        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is null)
            {
                errors.Add(new($"{path}.conditions[{i}]", "a condition cannot be null."));
            }
            else
            {
                conditions[i].Validate($"{path}.conditions[{i}]", errors);
            }
        }
    }
}

/// <summary>At least one condition holds.</summary>
public sealed record WhenAny(IReadOnlyList<RuleCondition> Conditions) : RuleCondition
{
    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject)
    {
        for (var i = 0; i < Conditions.Count; i++)
        {
            if (Conditions[i].IsTrue(subject))
            {
                return true;
            }
        }

        return false;
    }

    internal override void Validate(string path, List<ValidationError> errors) => WhenAll.ValidateAll(path, Conditions, errors);
}

/// <summary>The condition does not hold.</summary>
public sealed record WhenNot(RuleCondition Condition) : RuleCondition
{
    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => !Condition.IsTrue(subject);

    internal override void Validate(string path, List<ValidationError> errors)
    {
        if (Condition is null)
        {
            errors.Add(new(path + ".condition", "a condition is required."));
        }
        else
        {
            Condition.Validate(path + ".condition", errors);
        }
    }
}

/// <summary>
/// A condition written in C#. It works in rules registered in code (<c>crm.AddRule</c>); it cannot be written to JSON
/// or stored per tenant.
/// </summary>
/// <param name="Description">What it checks, for people and dry runs.</param>
/// <param name="Predicate">The check.</param>
public sealed record CodeCondition(string Description, Func<RuleSubject, bool> Predicate) : RuleCondition
{
    /// <inheritdoc />
    public override bool IsTrue(RuleSubject subject) => Predicate(subject);

    internal override void Validate(string path, List<ValidationError> errors)
    {
        if (Predicate is null)
        {
            errors.Add(new(path, "a code condition needs a predicate."));
        }
    }
}
