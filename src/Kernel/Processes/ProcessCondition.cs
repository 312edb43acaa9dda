using System.Text.Json.Serialization;

namespace Crm.Kernel.Processes;

/// <summary>
/// A serializable guard over a process instance's variables, so a methodology file can define it without code.
/// JSON form: an object with a <c>type</c> of <c>equals</c>, <c>notEquals</c>, <c>isSet</c>, <c>allOf</c>, <c>anyOf</c> or <c>not</c>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(VariableEquals), "equals")]
[JsonDerivedType(typeof(VariableNotEquals), "notEquals")]
[JsonDerivedType(typeof(VariableIsSet), "isSet")]
[JsonDerivedType(typeof(AllOf), "allOf")]
[JsonDerivedType(typeof(AnyOf), "anyOf")]
[JsonDerivedType(typeof(Not), "not")]
public abstract record ProcessCondition
{
    private protected ProcessCondition()
    {
    }

    /// <summary>Whether the condition holds for <paramref name="variables"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="variables"/> is null.</exception>
    public abstract bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables);

    /// <summary>A short human-readable form, used as the guard's description in exported graphs.</summary>
    public abstract string Describe();
}

/// <summary>Holds when variable <paramref name="Name"/> equals <paramref name="Value"/> (ordinal).</summary>
/// <param name="Name">The variable.</param>
/// <param name="Value">The expected value.</param>
public sealed record VariableEquals(string Name, string Value) : ProcessCondition
{
    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return variables.TryGetValue(Name, out var v) && string.Equals(v, Value, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public override string Describe() => $"{Name} == {Value}";
}

/// <summary>Holds when variable <paramref name="Name"/> is missing or differs from <paramref name="Value"/>.</summary>
/// <param name="Name">The variable.</param>
/// <param name="Value">The value it must not have.</param>
public sealed record VariableNotEquals(string Name, string Value) : ProcessCondition
{
    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return !(variables.TryGetValue(Name, out var v) && string.Equals(v, Value, StringComparison.Ordinal));
    }

    /// <inheritdoc />
    public override string Describe() => $"{Name} != {Value}";
}

/// <summary>Holds when variable <paramref name="Name"/> has a non-empty value.</summary>
/// <param name="Name">The variable.</param>
public sealed record VariableIsSet(string Name) : ProcessCondition
{
    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return variables.TryGetValue(Name, out var v) && !string.IsNullOrEmpty(v);
    }

    /// <inheritdoc />
    public override string Describe() => $"{Name} is set";
}

/// <summary>Holds when every condition holds (true when empty).</summary>
public sealed record AllOf : ProcessCondition
{
    /// <summary>Creates the conjunction.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="conditions"/> is null.</exception>
    [JsonConstructor]
    public AllOf(IReadOnlyList<ProcessCondition> conditions) =>
        Conditions = new ValueList<ProcessCondition>(conditions ?? throw new ArgumentNullException(nameof(conditions)));

    /// <summary>The conditions.</summary>
    public IReadOnlyList<ProcessCondition> Conditions { get; }

    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables)
    {
        foreach (var c in Conditions)
        {
            if (!c.IsSatisfiedBy(variables))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string Describe() => "(" + string.Join(" and ", Conditions.Select(c => c.Describe())) + ")";
}

/// <summary>Holds when at least one condition holds (false when empty).</summary>
public sealed record AnyOf : ProcessCondition
{
    /// <summary>Creates the disjunction.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="conditions"/> is null.</exception>
    [JsonConstructor]
    public AnyOf(IReadOnlyList<ProcessCondition> conditions) =>
        Conditions = new ValueList<ProcessCondition>(conditions ?? throw new ArgumentNullException(nameof(conditions)));

    /// <summary>The conditions.</summary>
    public IReadOnlyList<ProcessCondition> Conditions { get; }

    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables)
    {
        foreach (var c in Conditions)
        {
            if (c.IsSatisfiedBy(variables))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public override string Describe() => "(" + string.Join(" or ", Conditions.Select(c => c.Describe())) + ")";
}

/// <summary>Holds when <paramref name="Condition"/> does not.</summary>
/// <param name="Condition">The negated condition.</param>
public sealed record Not(ProcessCondition Condition) : ProcessCondition
{
    /// <inheritdoc />
    public override bool IsSatisfiedBy(IReadOnlyDictionary<string, string> variables) => !Condition.IsSatisfiedBy(variables);

    /// <inheritdoc />
    public override string Describe() => $"not {Condition.Describe()}";
}
