using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Kernel.Rules;
using NodaTime;

namespace Crm.Kernel.Processes;

/// <summary>Where a process instance is in its life.</summary>
public enum ProcessStatus
{
    /// <summary>In a non-final step, accepting triggers.</summary>
    Running = 0,

    /// <summary>Reached a final step.</summary>
    Completed = 1,

    /// <summary>Stopped before reaching a final step.</summary>
    Cancelled = 2,
}

/// <summary>
/// The persisted state of one process instance: which template version it runs, the current step and its variables.
/// A plain serializable class; the kernel loads it, hands it to <see cref="ProcessMachine"/>, and stores it back.
/// Not thread-safe: one unit of work handles an instance at a time.
/// </summary>
internal sealed class ProcessInstanceState
{
    /// <summary>The instance's id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The template the instance runs.</summary>
    public string TemplateId { get; set; } = "";

    /// <summary>The template version the instance started with; it keeps it when newer versions appear.</summary>
    public int TemplateVersion { get; set; }

    /// <summary>The step the instance is in.</summary>
    public string CurrentStep { get; set; } = "";

    /// <summary>Variables that guards read and actions may set (ordinal keys).</summary>
    public Dictionary<string, string> Variables { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When the instance started.</summary>
    public Instant StartedAt { get; set; }

    /// <summary>When the instance entered <see cref="CurrentStep"/>.</summary>
    public Instant StepEnteredAt { get; set; }

    /// <summary>Running, completed or cancelled.</summary>
    public ProcessStatus Status { get; set; }
}

/// <summary>What a start or a fired trigger did; the kernel executes <see cref="Actions"/> in the same unit of work.</summary>
/// <param name="Instance">The instance, already updated (the same object that was passed to Fire, or the new one after Start).</param>
/// <param name="FromStep">The step left, or null when the instance was just started.</param>
/// <param name="Trigger">The trigger fired, or null when the instance was just started.</param>
/// <param name="Step">The step entered.</param>
/// <param name="Actions">The on-entry actions of <paramref name="Step"/>, in order.</param>
/// <param name="Status">The instance's status afterwards (<see cref="ProcessStatus.Completed"/> after entering a final step).</param>
internal sealed record TransitionResult(ProcessInstanceState Instance, string? FromStep, string? Trigger, string Step, IReadOnlyList<AutomationAction> Actions, ProcessStatus Status);
