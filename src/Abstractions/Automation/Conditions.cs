namespace Crm.Abstractions.Automation;

/// <summary>
/// A serializable condition: the one condition tree of rules (trigger filter, criteria, deadlines) and process
/// transitions (guards). Leaves read a field by path: <c>deal.amount</c>, <c>deal.currency</c>, <c>deal.stage</c>,
/// <c>deal.source</c>, <c>deal.owner</c>, <c>deal.title</c>, <c>deal.status</c>, <c>deal.pipeline</c>,
/// <c>deal.field.&lt;name&gt;</c>, <c>deal.classifier.&lt;name&gt;</c>, <c>client.name</c>, <c>client.region</c>,
/// <c>client.city</c>, <c>client.industry</c>, <c>client.kind</c>, <c>client.classifier.&lt;name&gt;</c>,
/// <c>event.&lt;property&gt;</c> (rules) and <c>variables.&lt;name&gt;</c> (process guards). JSON: an object whose
/// <c>"condition"</c> names the kind, e.g. <c>{"condition":"equals","field":"deal.stage","value":"won"}</c>.
/// </summary>
public abstract record Condition
{
    private protected Condition()
    {
    }
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

/// <summary>The field equals the value (case-insensitive).</summary>
/// <param name="Field">The field path.</param>
/// <param name="Value">The expected value.</param>
public sealed record FieldEquals(string Field, string Value) : Condition;

/// <summary>The field is one of the values (case-insensitive).</summary>
/// <param name="Field">The field path.</param>
/// <param name="Values">The values.</param>
public sealed record FieldIn(string Field, IReadOnlyList<string> Values) : Condition
{
    /// <summary>Equal when the fields and the values, in order, are equal.</summary>
    /// <param name="other">The other condition.</param>
    public bool Equals(FieldIn? other) => other is not null && Field == other.Field && Sequences.Equal(Values, other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Field, Sequences.Hash(Values));
}

/// <summary>The field, read as a number, compares so with the value (false when it is not a number).</summary>
/// <param name="Field">The field path.</param>
/// <param name="Op">The comparison.</param>
/// <param name="Value">The number compared with.</param>
public sealed record FieldCompare(string Field, Comparison Op, decimal Value) : Condition;

/// <summary>The field, read as a number, is within [Min, Max].</summary>
/// <param name="Field">The field path.</param>
/// <param name="Min">The lower bound.</param>
/// <param name="Max">The upper bound.</param>
public sealed record FieldBetween(string Field, decimal Min, decimal Max) : Condition;

/// <summary>The field has a non-empty value.</summary>
/// <param name="Field">The field path.</param>
public sealed record FieldIsSet(string Field) : Condition;

/// <summary>All conditions hold.</summary>
/// <param name="Conditions">The conditions.</param>
public sealed record AllOf(IReadOnlyList<Condition> Conditions) : Condition
{
    /// <summary>Equal when the conditions are equal, in order.</summary>
    /// <param name="other">The other condition.</param>
    public bool Equals(AllOf? other) => other is not null && Sequences.Equal(Conditions, other.Conditions);

    /// <inheritdoc />
    public override int GetHashCode() => Sequences.Hash(Conditions);
}

/// <summary>At least one condition holds.</summary>
/// <param name="Conditions">The conditions.</param>
public sealed record AnyOf(IReadOnlyList<Condition> Conditions) : Condition
{
    /// <summary>Equal when the conditions are equal, in order.</summary>
    /// <param name="other">The other condition.</param>
    public bool Equals(AnyOf? other) => other is not null && Sequences.Equal(Conditions, other.Conditions);

    /// <inheritdoc />
    public override int GetHashCode() => Sequences.Hash(Conditions);
}

/// <summary>The condition does not hold.</summary>
/// <param name="Condition">The negated condition.</param>
public sealed record Not(Condition Condition) : Condition;

/// <summary>
/// A condition over the deal written in C#. It works in rules registered in code (<c>crm.AddRule</c>); it cannot be
/// written to JSON, stored per tenant or used as a process guard.
/// </summary>
/// <param name="Description">What it checks, for people and dry runs.</param>
/// <param name="Predicate">The check.</param>
public sealed record CodeCondition(string Description, Func<DealView, bool> Predicate) : Condition;

/// <summary>Value equality of the lists inside conditions and actions (records compare lists by reference).</summary>
internal static class Sequences
{
    public static bool Equal<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static int Hash<T>(IReadOnlyList<T>? list)
    {
        var hash = new HashCode();
        foreach (var item in list ?? [])
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public static bool Equal(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
