using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Organization;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Processes;
using Crm.Kernel.Notifications;
using Crm.Kernel.Rules;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Telephony;
using Crm.Kernel.Integration;
using Crm.Kernel.Tasks;
using NodaTime;

namespace Crm.Kernel.Storage;

/// <summary>Journal metadata an event is applied with.</summary>
internal readonly record struct EventContext(Instant OccurredAt, UserId? Actor, Cause Cause);

/// <summary>The stream an event belongs to; <see cref="Kind"/> is null for journal-only events that change no state.</summary>
internal readonly record struct StreamRef(string StreamKind, string Id, AggregateKind? Kind);

/// <summary>
/// Applies events to aggregate states. The unit of work changes state only through here, so folding the journal
/// reproduces every stored document (the replay guarantee).
/// </summary>
internal static class Projection
{
    public static StreamRef StreamOf(DomainEvent e) => e switch
    {
        UserRegistered x => new("user", x.User.Value, Kinds.User),
        UserDeactivated x => new("user", x.User.Value, Kinds.User),
        TeamDefined x => new("team", x.Team.Value, Kinds.Team),
        RoundRobinAdvanced x => new("team", x.Team.Value, Kinds.Team),
        PipelineDefined x => new("pipeline", x.Definition.Id.Value, Kinds.Pipeline),
        ClientRegistered x => new("client", x.Client.Value, Kinds.Client),
        ClientContactsAdded x => new("client", x.Client.Value, Kinds.Client),
        ClientClassifierSet x => new("client", x.Client.Value, Kinds.Client),
        ClientOwnerChanged x => new("client", x.Client.Value, Kinds.Client),
        DealOpened x => new("deal", x.Deal.Value, Kinds.Deal),
        DealStageChanged x => new("deal", x.Deal.Value, Kinds.Deal),
        DealOwnerChanged x => new("deal", x.Deal.Value, Kinds.Deal),
        DealAmountChanged x => new("deal", x.Deal.Value, Kinds.Deal),
        DealFieldSet x => new("deal", x.Deal.Value, Kinds.Deal),
        DealClassifierSet x => new("deal", x.Deal.Value, Kinds.Deal),
        DealWinProbabilitySet x => new("deal", x.Deal.Value, Kinds.Deal),
        DealExpectedCloseSet x => new("deal", x.Deal.Value, Kinds.Deal),
        GoalAchieved x => new("deal", x.Deal.Value, Kinds.Deal),
        ProcessStartRequested x => new("deal", x.Deal.Value, null),
        WorkTaskCreated x => new("task", x.Task.Value, Kinds.Task),
        WorkTaskCompleted x => new("task", x.Task.Value, Kinds.Task),
        WorkTaskReassigned x => new("task", x.Task.Value, Kinds.Task),
        WorkTaskCancelled x => new("task", x.Task.Value, Kinds.Task),
        ActivityLogged x => new("activity", x.Activity.Value, Kinds.Activity),
        NotificationRequested x => new("notification", (x.Id ?? throw new ArgumentException("A notification needs an id.", nameof(e))).Value, Kinds.Notification),
        NotificationRead x => new("notification", x.Notification.Value, Kinds.Notification),
        RuleDefined => new("rulebook", RuleBookId, Kinds.RuleBook),
        RuleEnabledChanged => new("rulebook", RuleBookId, Kinds.RuleBook),
        RuleTriggered x => new("rule-instance", x.Instance, Kinds.RuleInstance),
        RuleScheduledActionDone x => new("rule-instance", x.Instance, Kinds.RuleInstance),
        RuleExceptionRequested x => new("rule-instance", x.Instance, Kinds.RuleInstance),
        RuleExceptionDecided x => new("rule-instance", x.Instance, Kinds.RuleInstance),
        RuleOutcomeRecorded x => new("rule-instance", x.Instance, Kinds.RuleInstance),
        DigestItemAdded x => new("digest", x.Digest, Kinds.Digest),
        DigestSent x => new("digest", x.Digest, Kinds.Digest),
        ConsumerAdvanced x => new("cursor", x.Consumer, Kinds.Cursor),
        NotificationDeliveryFailed x => new("delivery-failure", x.Delivery, Kinds.FailedDelivery),
        NotificationDeliveryRetried x => new("delivery-failure", x.Delivery, Kinds.FailedDelivery),
        TenantRegistered x => new("tenant", x.Tenant.Value, Kinds.Tenant),
        CallStarted x => new("call", x.Call, Kinds.Call),
        CallAnswered x => new("call", x.Call, Kinds.Call),
        CallerRecognized x => new("call", x.Call, Kinds.Call),
        CallEnded x => new("call", x.Call, Kinds.Call),
        ProductDefined x => new("product", x.Product, Kinds.Product),
        InvoiceCreated x => new("invoice", x.Invoice.Value, Kinds.Invoice),
        InvoiceIssued x => new("invoice", x.Invoice.Value, Kinds.Invoice),
        InvoicePaid x => new("invoice", x.Invoice.Value, Kinds.Invoice),
        InvoiceCancelled x => new("invoice", x.Invoice.Value, Kinds.Invoice),
        OrderReceived x => new("order", x.Order, Kinds.Order),
        MethodologyInstalled x => new("methodology", x.Methodology, Kinds.Methodology),
        TargetSet x => new("target", Crm.Kernel.Import.SessionImport.TargetKey(x.Owner, x.Start), Kinds.Target),
        WebhookSubscribed x => new("webhook", x.Subscription.Value, Kinds.Webhook),
        WebhookUnsubscribed x => new("webhook", x.Subscription.Value, Kinds.Webhook),
        WebhookDeadLettered x => new("webhook", x.Subscription.Value, Kinds.Webhook),
        WebhookReplayed x => new("webhook", x.Subscription.Value, Kinds.Webhook),
        DealSignalRaised x => new("deal", x.Deal.Value, null),
        ProcessStarted x => new("process", x.Process.Value, Kinds.Process),
        ProcessStepEntered x => new("process", x.Process.Value, Kinds.Process),
        ProcessCancelled x => new("process", x.Process.Value, Kinds.Process),
        Crm.Kernel.Security.PermissionSetDefined x => new("permission-set", x.Set, Kinds.PermissionSet),
        Crm.Kernel.Security.UserPermissionSetAssigned x => new("user", x.User.Value, Kinds.User),
        Crm.Kernel.Security.CallerCardShown x => new("call", x.Call, null),
        _ => throw new ArgumentException($"The kernel has no projection for event {e.GetType().Name}.", nameof(e)),
    };

    /// <summary>Applies an event to the current state of its stream (null when the stream is new).</summary>
    public static object Apply(object? state, DomainEvent e, in EventContext ctx) => e switch
    {
        UserRegistered x => new CrmUser { Id = x.User, Name = x.Name, Role = x.Role, Team = x.Team, Email = x.Email, TimeZone = x.TimeZone, Extension = x.Extension },
        UserDeactivated => Existing<CrmUser>(state, e) with { IsActive = false },
        Crm.Kernel.Security.UserPermissionSetAssigned x => Existing<CrmUser>(state, e) with { PermissionSet = x.Set },
        Crm.Kernel.Security.PermissionSetDefined x => new Crm.Kernel.Security.PermissionSet { Id = x.Set, Name = x.Name, Permissions = x.Permissions },
        TeamDefined x => state is Team t
            ? t with { Name = x.Name, Head = x.Head }
            : new Team { Id = x.Team, Name = x.Name, Head = x.Head },
        RoundRobinAdvanced x => Existing<Team>(state, e) with { LastRoundRobin = x.AssignedTo },
        PipelineDefined x => new StoredPipeline
        {
            Definition = x.Definition,
            Revision = state is StoredPipeline p ? p.Revision + 1 : 1,
        },
        ClientRegistered x => new Client
        {
            Id = x.Client, Kind = x.Kind, Name = x.Name, Contacts = x.Contacts, Region = x.Region, City = x.City,
            Industry = x.Industry, Owner = x.Owner, RegisteredAt = x.RegisteredAt,
        },
        ClientContactsAdded x => AddContacts(Existing<Client>(state, e), x.Contacts),
        ClientClassifierSet x => SetClassifier(Existing<Client>(state, e), x.Name, x.Value),
        ClientOwnerChanged x => Existing<Client>(state, e) with { Owner = x.To },
        DealOpened x => new Deal
        {
            Id = x.Deal, Client = x.Client, Pipeline = x.Pipeline, Stage = x.Stage, Owner = x.Owner, Amount = x.Amount,
            Title = x.Title, Source = x.Source, WinProbability = x.WinProbability, ExpectedClose = x.ExpectedClose,
            Fields = x.Fields, OpenedAt = ctx.OccurredAt,
            History = [new StageVisit(x.Stage, ctx.OccurredAt, null, ctx.Actor, ctx.Cause)],
        },
        DealStageChanged x => MoveDeal(Existing<Deal>(state, e), x, ctx),
        DealOwnerChanged x => Existing<Deal>(state, e) with { Owner = x.To },
        DealAmountChanged x => Existing<Deal>(state, e) with { Amount = x.Amount },
        DealFieldSet x => SetField(Existing<Deal>(state, e), x.Name, x.Value),
        DealClassifierSet x => SetClassifier(Existing<Deal>(state, e), x.Name, x.Value),
        DealWinProbabilitySet x => Existing<Deal>(state, e) with { WinProbability = x.Probability },
        DealExpectedCloseSet x => Existing<Deal>(state, e) with { ExpectedClose = x.ExpectedClose },
        GoalAchieved x => AddGoal(Existing<Deal>(state, e), x.Goal),
        WorkTaskCreated x => new WorkTask
        {
            Id = x.Task, Title = x.Title, Assignee = x.Assignee, Due = x.Due, Deal = x.Deal, Client = x.Client,
            CreatedAt = ctx.OccurredAt,
        },
        WorkTaskCompleted => Existing<WorkTask>(state, e) with { Status = WorkTaskStatus.Done, ClosedAt = ctx.OccurredAt },
        WorkTaskCancelled => Existing<WorkTask>(state, e) with { Status = WorkTaskStatus.Cancelled, ClosedAt = ctx.OccurredAt },
        WorkTaskReassigned x => Existing<WorkTask>(state, e) with { Assignee = x.To },
        ActivityLogged x => new Activity
        {
            Id = x.Activity, Kind = x.Kind, Client = x.Client, Deal = x.Deal, By = x.By, Subject = x.Subject,
            Body = x.Body, At = ctx.OccurredAt, Duration = x.Duration, RecordingReference = x.RecordingReference,
        },
        ProcessStarted x => new ProcessInstance
        {
            Id = x.Process, TemplateId = x.TemplateId, TemplateVersion = x.TemplateVersion, Deal = x.Deal, Client = x.Client,
            Roles = x.Roles, Variables = x.Variables, StartedAt = ctx.OccurredAt, StepEnteredAt = ctx.OccurredAt, Status = ProcessStatus.Running,
        },
        ProcessStepEntered x => EnterStep(Existing<ProcessInstance>(state, e), x, ctx),
        NotificationRequested x => new Notification { Id = x.Id!.Value, Recipient = x.Recipient, Subject = x.Subject, Body = x.Body, Deal = x.Deal, At = ctx.OccurredAt },
        NotificationRead => Existing<Notification>(state, e) with { IsRead = true },
        RuleDefined x => AddVersion(SetRule(state as RuleBook ?? new RuleBook(), x.Rule.Value, r => new StoredRule(x.Version, x.DefinitionJson, r?.Enabled ?? true)), x),
        RuleEnabledChanged x => SetRule(Existing<RuleBook>(state, e), x.Rule.Value, r => r! with { Enabled = x.Enabled }),
        RuleTriggered x => new RuleInstance
        {
            Id = x.Instance, Rule = x.Rule, RuleVersion = x.RuleVersion, Deal = x.Deal, Stage = x.Stage, StartedAt = ctx.OccurredAt,
            Deadline = x.Deadline, PendingActions = x.ScheduledActions,
        },
        RuleScheduledActionDone => ActionDone(Existing<RuleInstance>(state, e)),
        RuleExceptionRequested x => Existing<RuleInstance>(state, e) with
        {
            ExceptionFlag = x.Flag, ExceptionReason = x.Reason, ExceptionApprover = x.Approver, ExceptionStatus = ExceptionStatus.Pending,
        },
        RuleExceptionDecided x => DecideException(Existing<RuleInstance>(state, e), x),
        RuleOutcomeRecorded x => Existing<RuleInstance>(state, e) with
        {
            Outcome = x.Outcome switch { "met" => RuleOutcome.Met, "violated" => RuleOutcome.Violated, _ => RuleOutcome.Exempted },
            OutcomeDetail = x.Detail,
            EndedAt = ctx.OccurredAt,
        },
        DigestItemAdded x => state is Digest d0
            ? d0 with { Items = [.. d0.Items, x.Text] }
            : new Digest { Id = x.Digest, Recipient = x.Recipient, Day = x.Day, Subject = x.Subject, Items = [x.Text] },
        DigestSent => Existing<Digest>(state, e) with { Sent = true },
        ConsumerAdvanced x => new ConsumerCursor { Id = x.Consumer, Position = x.Position },
        NotificationDeliveryFailed x => new FailedDelivery
        {
            Id = x.Delivery, Notification = x.Notification, Channel = x.Channel, Recipient = x.Recipient, Subject = x.Subject, Body = x.Body,
            Deal = x.Deal, Attempts = x.Attempts, LastError = x.Error, NextAttemptAt = x.NextAttemptAt,
        },
        NotificationDeliveryRetried x => Existing<FailedDelivery>(state, e) with
        {
            Delivered = x.Delivered, Attempts = x.Attempts, LastError = x.Error ?? "", NextAttemptAt = x.NextAttemptAt,
        },
        TenantRegistered x => new TenantEntry { Id = x.Tenant, RegisteredAt = ctx.OccurredAt },
        CallStarted x => new PhoneCall { Id = x.Call, Direction = x.Direction, Number = x.Number, Client = x.Client, User = x.User, StartedAt = ctx.OccurredAt },
        CallAnswered x => Answer(Existing<PhoneCall>(state, e), x, ctx),
        CallerRecognized x => Existing<PhoneCall>(state, e) with { Client = x.Client },
        CallEnded x => Existing<PhoneCall>(state, e) with { Ended = true, Missed = x.Missed, Recording = x.Recording },
        ProductDefined x => new Product { Id = x.Product, Name = x.Name, Price = x.Price, TaxRate = x.TaxRate },
        InvoiceCreated x => new Invoice
        {
            Id = x.Invoice, Deal = x.Deal, Client = x.Client, Currency = x.Currency, Lines = x.Lines, Net = x.Net, Tax = x.Tax, Total = x.Total,
            CreatedAt = ctx.OccurredAt,
        },
        InvoiceIssued x => Existing<Invoice>(state, e) with { Number = x.Number, Status = InvoiceStatus.Issued },
        InvoicePaid => Existing<Invoice>(state, e) with { Status = InvoiceStatus.Paid, PaidAt = ctx.OccurredAt },
        InvoiceCancelled => Existing<Invoice>(state, e) with { Status = InvoiceStatus.Cancelled },
        WebhookSubscribed x => new WebhookSubscription { Id = x.Subscription, Url = x.Url, Secret = x.Secret, EventTypes = x.EventTypes },
        WebhookUnsubscribed => Existing<WebhookSubscription>(state, e) with { Active = false },
        WebhookDeadLettered x => DeadLetter(Existing<WebhookSubscription>(state, e), x),
        WebhookReplayed x => Replayed(Existing<WebhookSubscription>(state, e), x),
        MethodologyInstalled x => new Crm.Kernel.Methodologies.InstalledMethodology
        {
            Id = x.Methodology, Name = x.Name, Pipelines = x.Pipelines, Rules = x.Rules, ProcessTemplates = x.ProcessTemplates,
            Classifiers = x.Classifiers, ReportPresets = x.ReportPresets, InstalledAt = ctx.OccurredAt,
            Installations = state is Crm.Kernel.Methodologies.InstalledMethodology m ? m.Installations + 1 : 1,
        },
        TargetSet x => new Crm.Kernel.Import.Target { Owner = x.Owner, Start = x.Start, End = x.End, Amount = x.Target },
        OrderReceived x => new Order { Id = x.Order, Deal = x.Deal, Client = x.Client, Invoice = x.Invoice, ReceivedAt = ctx.OccurredAt },
        ProcessCancelled x => Existing<ProcessInstance>(state, e) with { Status = ProcessStatus.Cancelled, CancelReason = x.Reason, Waits = [] },
        _ => throw new ArgumentException($"The kernel has no projection for event {e.GetType().Name}.", nameof(e)),
    };

    private static Deal MoveDeal(Deal deal, DealStageChanged e, in EventContext ctx)
    {
        var history = new List<StageVisit>(deal.History.Count + 1);
        history.AddRange(deal.History);
        if (history.Count > 0)
        {
            history[^1] = history[^1] with { LeftAt = ctx.OccurredAt };
        }

        history.Add(new StageVisit(e.To, ctx.OccurredAt, null, ctx.Actor, ctx.Cause));
        var kind = e.ToKind;
        return deal with
        {
            Stage = e.To,
            History = history,
            Status = kind switch { StageKind.Won => DealStatus.Won, StageKind.Lost => DealStatus.Lost, _ => DealStatus.Open },
            ClosedAt = kind == StageKind.Open ? null : ctx.OccurredAt,
        };
    }

    private static ProcessInstance EnterStep(ProcessInstance process, ProcessStepEntered e, in EventContext ctx) => process with
    {
        CurrentStep = e.Step,
        StepEnteredAt = ctx.OccurredAt,
        StepDeadline = e.Deadline,
        Waits = e.Completed ? [] : e.Waits,
        Status = e.Completed ? ProcessStatus.Completed : ProcessStatus.Running,
        History = [.. process.History, new ProcessStepVisit(e.Step, ctx.OccurredAt, e.Trigger)],
    };

    public const string RuleBookId = "rules";

    private static WebhookSubscription DeadLetter(WebhookSubscription subscription, WebhookDeadLettered e) =>
        subscription with { DeadLetters = [.. subscription.DeadLetters, new WebhookDeadLetter(e.EventId, e.Position, e.DealKey, e.Body, e.Error)] };

    private static WebhookSubscription Replayed(WebhookSubscription subscription, WebhookReplayed e) =>
        subscription with { DeadLetters = subscription.DeadLetters.Where(l => l.EventId != e.EventId).ToArray() };

    private static PhoneCall Answer(PhoneCall call, CallAnswered e, in EventContext ctx) =>
        call with { AnsweredBy = e.By, AnsweredAt = ctx.OccurredAt, Client = e.Client ?? call.Client };

    private static RuleBook SetRule(RuleBook book, string rule, Func<StoredRule?, StoredRule> change)
    {
        var rules = new SortedDictionary<string, StoredRule>(StringComparer.Ordinal);
        foreach (var pair in book.Rules)
        {
            rules[pair.Key] = pair.Value;
        }

        rules[rule] = change(rules.GetValueOrDefault(rule));
        return book with { Rules = rules };
    }

    private static RuleBook AddVersion(RuleBook book, RuleDefined e)
    {
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in book.Versions)
        {
            versions[pair.Key] = pair.Value;
        }

        versions[$"{e.Rule}@{e.Version}"] = e.DefinitionJson;
        return book with { Versions = versions };
    }

    private static RuleInstance ActionDone(RuleInstance instance) => instance with { PendingActions = Math.Max(0, instance.PendingActions - 1) };

    private static RuleInstance DecideException(RuleInstance instance, RuleExceptionDecided e) => instance with
    {
        ExceptionStatus = e.Approved ? ExceptionStatus.Approved : ExceptionStatus.Rejected,
        Deadline = e.NewDeadline ?? instance.Deadline,
    };

    private static Client AddContacts(Client client, IReadOnlyList<ClientContact> contacts) =>
        client with { Contacts = [.. client.Contacts, .. contacts] };

    private static Client SetClassifier(Client client, string name, string? value) =>
        client with { Classifiers = With(client.Classifiers, name, value) };

    private static Deal SetField(Deal deal, string name, string? value) => deal with { Fields = With(deal.Fields, name, value) };

    private static Deal SetClassifier(Deal deal, string name, string? value) =>
        deal with { Classifiers = With(deal.Classifiers, name, value) };

    private static Deal AddGoal(Deal deal, GoalId goal) => deal with { AchievedGoals = [.. deal.AchievedGoals, goal] };

    private static T Existing<T>(object? state, DomainEvent e)
        where T : class =>
        state as T ?? throw new InvalidOperationException($"Event {e.GetType().Name} applies to a {typeof(T).Name} that does not exist.");

    private static IReadOnlyDictionary<string, string> With(IReadOnlyDictionary<string, string> source, string name, string? value)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in source)
        {
            copy[pair.Key] = pair.Value;
        }

        if (value is null)
        {
            copy.Remove(name);
        }
        else
        {
            copy[name] = value;
        }

        return copy;
    }
}
