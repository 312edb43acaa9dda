using System.Diagnostics.CodeAnalysis;

namespace Crm.Abstractions;

/// <summary>Validation shared by the string-backed identifiers.</summary>
internal static class IdText
{
    /// <summary>Longest identifier accepted, in characters.</summary>
    public const int MaxLength = 128;

    public static string Require(string? value, string typeName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"A {typeName} cannot be empty or white space.", nameof(value));
        }

        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"A {typeName} is at most {MaxLength} characters; got {value.Length}.", nameof(value));
        }

        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                throw new ArgumentException($"A {typeName} cannot contain white space or control characters: '{value}'.", nameof(value));
            }
        }

        return value;
    }

    public static string NewValue() => Guid.NewGuid().ToString("N");
}

/// <summary>Identifies a tenant (one company using the kernel). Every stored key is scoped by it.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct TenantId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(TenantId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a user (a seller, a head or an administrator) within a tenant.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct UserId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(UserId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a team of sellers led by a head.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct TeamId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(TeamId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a client card.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct ClientId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(ClientId));
    /// <summary>Creates a new random identifier.</summary>
    public static ClientId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a deal.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct DealId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(DealId));
    /// <summary>Creates a new random identifier.</summary>
    public static DealId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a pipeline (a funnel profile).</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct PipelineId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(PipelineId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a stage within a pipeline.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct StageId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(StageId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a goal within a stage.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct GoalId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(GoalId));
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a work task.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct WorkTaskId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(WorkTaskId));
    /// <summary>Creates a new random identifier.</summary>
    public static WorkTaskId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies an activity (call, e-mail, meeting, note).</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space.</param>
public readonly record struct ActivityId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(ActivityId));
    /// <summary>Creates a new random identifier.</summary>
    public static ActivityId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a running (or finished) business process instance.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space. Serialized as a plain JSON string.</param>
public readonly record struct ProcessId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(ProcessId));
    /// <summary>Creates a new random identifier.</summary>
    public static ProcessId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies an invoice.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space. Serialized as a plain JSON string.</param>
public readonly record struct InvoiceId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(InvoiceId));
    /// <summary>Creates a new random identifier.</summary>
    public static InvoiceId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a business rule (all its versions).</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space. Serialized as a plain JSON string.</param>
public readonly record struct RuleId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(RuleId));
    /// <summary>Creates a new random identifier.</summary>
    public static RuleId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a notification in a user's inbox.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space. Serialized as a plain JSON string.</param>
public readonly record struct NotificationId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(NotificationId));
    /// <summary>Creates a new random identifier.</summary>
    public static NotificationId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>Identifies a webhook subscription.</summary>
/// <param name="Value">The identifier text: 1 to 128 characters, no white space. Serialized as a plain JSON string.</param>
public readonly record struct WebhookSubscriptionId([NotNull] string Value)
{
    /// <summary>The identifier text.</summary>
    public string Value { get; } = IdText.Require(Value, nameof(WebhookSubscriptionId));
    /// <summary>Creates a new random identifier.</summary>
    public static WebhookSubscriptionId New() => new(IdText.NewValue());
    /// <inheritdoc />
    public override string ToString() => Value;
}
