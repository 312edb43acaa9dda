using Crm.Abstractions;
using System.Text.Json.Serialization;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Processes;

/// <summary>
/// Who an action is for: a role declared by the template (the kernel resolves it to people) or one user by id.
/// Exactly one of <see cref="Role"/> and <see cref="User"/> is set. JSON: <c>{"role":"legal"}</c> or <c>{"user":"u-42"}</c>.
/// </summary>
public sealed record ProcessAssignee
{
    /// <summary>Creates an assignee; prefer <see cref="ForRole"/> or <see cref="ForUser"/>. Validation happens when the template is built.</summary>
    [JsonConstructor]
    public ProcessAssignee(string? role, string? user)
    {
        Role = role;
        User = user;
    }

    /// <summary>The role, when the action is for a role.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; }

    /// <summary>The user id, when the action is for one user.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; }

    /// <summary>An action for whoever holds <paramref name="role"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="role"/> is null or blank.</exception>
    public static ProcessAssignee ForRole(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        return new ProcessAssignee(role, null);
    }

    /// <summary>An action for one user.</summary>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null or blank.</exception>
    public static ProcessAssignee ForUser(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return new ProcessAssignee(null, userId);
    }

    /// <inheritdoc />
    public override string ToString() => Role is not null ? $"role:{Role}" : $"user:{User}";
}

/// <summary>
/// Something the kernel does when an instance enters a step. The machine only returns these; the kernel executes them
/// in the same unit of work. JSON: an object with a <c>type</c> of <c>createTask</c>, <c>notify</c>, <c>setField</c>,
/// <c>setClientClassifier</c>, <c>waitForEvent</c> or <c>startSubProcess</c>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(CreateTaskAction), "createTask")]
[JsonDerivedType(typeof(NotifyAction), "notify")]
[JsonDerivedType(typeof(SetFieldAction), "setField")]
[JsonDerivedType(typeof(SetClientClassifierAction), "setClientClassifier")]
[JsonDerivedType(typeof(WaitForEventAction), "waitForEvent")]
[JsonDerivedType(typeof(StartSubProcessAction), "startSubProcess")]
public abstract record ProcessAction
{
    private protected ProcessAction()
    {
    }
}

/// <summary>Create a task for a role or a user, due a business duration after the step is entered.</summary>
/// <param name="Assignee">Who gets the task.</param>
/// <param name="Title">The task's title.</param>
/// <param name="Due">When it is due, counted from entering the step.</param>
public sealed record CreateTaskAction(ProcessAssignee Assignee, string Title, BusinessDuration Due) : ProcessAction;

/// <summary>Send a notification to a role or a user.</summary>
/// <param name="Recipient">Who is notified.</param>
/// <param name="Subject">The subject line.</param>
/// <param name="Body">The text.</param>
public sealed record NotifyAction(ProcessAssignee Recipient, string Subject, string Body) : ProcessAction;

/// <summary>Set a field of the record the process runs for (e.g. a deal field).</summary>
/// <param name="Field">The field name.</param>
/// <param name="Value">The value to set.</param>
public sealed record SetFieldAction(string Field, string Value) : ProcessAction;

/// <summary>Set a classifier of the client (e.g. <c>segment = key-account</c>).</summary>
/// <param name="Classifier">The classifier name.</param>
/// <param name="Value">The value to set.</param>
public sealed record SetClientClassifierAction(string Classifier, string Value) : ProcessAction;

/// <summary>
/// Wait for a domain event; when one of type <paramref name="EventType"/> arrives for this instance, the kernel fires
/// <paramref name="Trigger"/> (which must be permitted in the step).
/// </summary>
/// <param name="EventType">The domain event type name, e.g. <c>InvoicePaid</c>.</param>
/// <param name="Trigger">The trigger to fire.</param>
public sealed record WaitForEventAction(string EventType, string Trigger) : ProcessAction;

/// <summary>Start another process (its newest template version) for the same record.</summary>
/// <param name="TemplateId">The template to start.</param>
public sealed record StartSubProcessAction(string TemplateId) : ProcessAction;
