using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Processes;

/// <summary>One stay of a process instance in a step.</summary>
/// <param name="Step">The step.</param>
/// <param name="EnteredAt">When it entered.</param>
/// <param name="Trigger">The trigger that led there; null for the first step.</param>
public sealed record ProcessStepVisit(string Step, Instant EnteredAt, string? Trigger);

/// <summary>A running (or finished) business process for a deal or client, as stored by the kernel.</summary>
public sealed record ProcessInstance
{
    /// <summary>The instance id.</summary>
    public required ProcessId Id { get; init; }
    /// <summary>The template.</summary>
    public required string TemplateId { get; init; }
    /// <summary>The template version it started with and keeps.</summary>
    public int TemplateVersion { get; init; }
    /// <summary>The deal, when any.</summary>
    public DealId? Deal { get; init; }
    /// <summary>The client, when any.</summary>
    public ClientId? Client { get; init; }
    /// <summary>Who plays each role.</summary>
    public IReadOnlyDictionary<string, UserId> Roles { get; init; } = new Dictionary<string, UserId>();
    /// <summary>The process variables.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    /// <summary>The current step.</summary>
    public string CurrentStep { get; init; } = "";
    /// <summary>Running, completed or cancelled.</summary>
    public ProcessStatus Status { get; init; }
    /// <summary>When it started.</summary>
    public Instant StartedAt { get; init; }
    /// <summary>When it entered the current step.</summary>
    public Instant StepEnteredAt { get; init; }
    /// <summary>When the current step should be done, when it has a deadline.</summary>
    public Instant? StepDeadline { get; init; }
    /// <summary>Events the current step waits for.</summary>
    public IReadOnlyList<ProcessWait> Waits { get; init; } = [];
    /// <summary>Every step it went through, oldest first.</summary>
    public IReadOnlyList<ProcessStepVisit> History { get; init; } = [];
    /// <summary>Why it was cancelled, when it was.</summary>
    public string? CancelReason { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }

    internal ProcessInstanceState ToMachineState() => new()
    {
        Id = Id.Value,
        TemplateId = TemplateId,
        TemplateVersion = TemplateVersion,
        CurrentStep = CurrentStep,
        Variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal),
        StartedAt = StartedAt,
        StepEnteredAt = StepEnteredAt,
        Status = Status,
    };
}
