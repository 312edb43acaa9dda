using NodaTime;

namespace Crm.Abstractions.Events;

/// <summary>
/// A fact that happened in the domain. The kernel commits every event to the journal together with the state it
/// produced; the journal envelope (<see cref="Crm.Abstractions.Storage.JournalRecord"/>) carries who, when and why.
/// </summary>
public abstract record DomainEvent;

/// <summary>A user joined the tenant.</summary>
public sealed record UserRegistered(UserId User, string Name, CrmRole Role, TeamId? Team, string? Email, string? TimeZone) : DomainEvent;

/// <summary>A team was defined (or redefined) with its head.</summary>
public sealed record TeamDefined(TeamId Team, string Name, UserId Head) : DomainEvent;

/// <summary>A user left; their clients, open deals and open tasks went to the successor in the same command.</summary>
public sealed record UserDeactivated(UserId User, UserId Successor) : DomainEvent;

/// <summary>A pipeline was defined or redefined.</summary>
public sealed record PipelineDefined(PipelineDefinition Definition) : DomainEvent;

/// <summary>A client card was registered.</summary>
public sealed record ClientRegistered(
    ClientId Client,
    ClientKind Kind,
    string Name,
    IReadOnlyList<ClientContact> Contacts,
    string? Region,
    string? City,
    string? Industry,
    UserId Owner,
    Instant RegisteredAt) : DomainEvent;

/// <summary>Contacts were added to a client card (e.g. by an explicit merge of a duplicate).</summary>
public sealed record ClientContactsAdded(ClientId Client, IReadOnlyList<ClientContact> Contacts) : DomainEvent;

/// <summary>An operational classifier was set on a client card.</summary>
public sealed record ClientClassifierSet(ClientId Client, string Name, string? Value) : DomainEvent;

/// <summary>A client card changed hands.</summary>
public sealed record ClientOwnerChanged(ClientId Client, UserId From, UserId To) : DomainEvent;

/// <summary>A deal was opened in a stage of a pipeline.</summary>
public sealed record DealOpened(
    DealId Deal,
    ClientId Client,
    PipelineId Pipeline,
    StageId Stage,
    UserId Owner,
    Money Amount,
    string? Title,
    string? Source,
    decimal? WinProbability,
    LocalDate? ExpectedClose,
    IReadOnlyDictionary<string, string> Fields) : DomainEvent;

/// <summary>A deal moved from one stage to another. The envelope's cause says why (manual, goal, rule, process).</summary>
/// <param name="Deal">The deal.</param>
/// <param name="From">The stage it left.</param>
/// <param name="To">The stage it entered.</param>
/// <param name="ToKind">The kind of the entered stage: entering a won or lost stage closes the deal.</param>
public sealed record DealStageChanged(DealId Deal, StageId From, StageId To, StageKind ToKind) : DomainEvent;

/// <summary>A deal changed hands.</summary>
public sealed record DealOwnerChanged(DealId Deal, UserId From, UserId To) : DomainEvent;

/// <summary>A deal's amount changed.</summary>
public sealed record DealAmountChanged(DealId Deal, Money Amount) : DomainEvent;

/// <summary>A custom field of a deal was set (a null value clears it).</summary>
public sealed record DealFieldSet(DealId Deal, string Name, string? Value) : DomainEvent;

/// <summary>An operational classifier of a deal was set (a null value clears it).</summary>
public sealed record DealClassifierSet(DealId Deal, string Name, string? Value) : DomainEvent;

/// <summary>A team's round-robin turn passed to a member (who now owns the deal assigned in the same command).</summary>
public sealed record RoundRobinAdvanced(TeamId Team, UserId AssignedTo) : DomainEvent;

/// <summary>A deal's own win probability was set (null: use the stage's).</summary>
public sealed record DealWinProbabilitySet(DealId Deal, decimal? Probability) : DomainEvent;

/// <summary>A deal's expected close date was set.</summary>
public sealed record DealExpectedCloseSet(DealId Deal, LocalDate? ExpectedClose) : DomainEvent;

/// <summary>A goal was achieved on a deal; its reactions follow in the same unit of work.</summary>
public sealed record GoalAchieved(DealId Deal, StageId Stage, GoalId Goal, string GoalName) : DomainEvent;

/// <summary>A work task was created.</summary>
public sealed record WorkTaskCreated(WorkTaskId Task, string Title, UserId Assignee, Instant Due, DealId? Deal, ClientId? Client) : DomainEvent;

/// <summary>A work task was done.</summary>
public sealed record WorkTaskCompleted(WorkTaskId Task) : DomainEvent;

/// <summary>A work task was handed to someone else.</summary>
public sealed record WorkTaskReassigned(WorkTaskId Task, UserId From, UserId To) : DomainEvent;

/// <summary>A work task was cancelled.</summary>
public sealed record WorkTaskCancelled(WorkTaskId Task, string? Reason) : DomainEvent;

/// <summary>An activity (call, e-mail, meeting, note) was logged against a client and, optionally, a deal.</summary>
public sealed record ActivityLogged(
    ActivityId Activity,
    ActivityKind Kind,
    ClientId Client,
    DealId? Deal,
    UserId By,
    string Subject,
    string? Body,
    Duration? Duration,
    string? RecordingReference) : DomainEvent;

/// <summary>A notification for a user was requested; notification channels deliver it after commit.</summary>
public sealed record NotificationRequested(UserId Recipient, string Subject, string Body, DealId? Deal) : DomainEvent;

/// <summary>A goal reaction asked for a business process to start for a deal.</summary>
public sealed record ProcessStartRequested(string TemplateId, DealId Deal) : DomainEvent;
