using NodaTime;

namespace Crm.Abstractions.Events;

/// <summary>
/// A fact that happened in the domain. The kernel commits every event to the journal together with the state it
/// produced; the journal envelope (<see cref="Crm.Abstractions.Storage.JournalRecord"/>) carries who, when and why.
/// </summary>
public abstract record DomainEvent;

/// <summary>A user joined the tenant.</summary>
public sealed record UserRegistered(UserId User, string Name, CrmRole Role, TeamId? Team, string? Email, string? TimeZone, string? Extension = null) : DomainEvent;

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
internal sealed record RoundRobinAdvanced(TeamId Team, UserId AssignedTo) : DomainEvent;

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

/// <summary>
/// A notification for a user was requested: it lands in the user's in-app inbox, and notification channels (mail…)
/// deliver it after commit. <paramref name="Id"/> is assigned by the kernel when left null.
/// </summary>
public sealed record NotificationRequested(UserId Recipient, string Subject, string Body, DealId? Deal, NotificationId? Id = null) : DomainEvent;

/// <summary>A user read a notification in the in-app inbox.</summary>
public sealed record NotificationRead(NotificationId Notification, UserId Recipient) : DomainEvent;

/// <summary>A goal reaction asked for a business process to start for a deal.</summary>
public sealed record ProcessStartRequested(string TemplateId, DealId Deal) : DomainEvent;

/// <summary>A business signal about a deal from outside the kernel (e.g. "DeliveryDocumentsSigned"); processes can wait for it.</summary>
/// <param name="Deal">The deal.</param>
/// <param name="Name">The signal's name, matched by processes waiting for an event of that name.</param>
public sealed record DealSignalRaised(DealId Deal, string Name) : DomainEvent;

/// <summary>A trigger a process step waits for: when an event of <paramref name="EventType"/> about the process's deal is
/// committed, the process fires <paramref name="Trigger"/>.</summary>
/// <param name="EventType">The event type name (e.g. <c>InvoicePaid</c>) or a <see cref="DealSignalRaised"/> name.</param>
/// <param name="Trigger">The trigger to fire.</param>
public sealed record ProcessWait(string EventType, string Trigger);

/// <summary>A business process instance started.</summary>
/// <param name="Process">The instance id.</param>
/// <param name="TemplateId">The template.</param>
/// <param name="TemplateVersion">The template version the instance keeps for its whole life.</param>
/// <param name="Deal">The deal it runs for, when any.</param>
/// <param name="Client">The client it runs for.</param>
/// <param name="Roles">Who plays each role of the template.</param>
/// <param name="Variables">Initial variables.</param>
public sealed record ProcessStarted(
    ProcessId Process,
    string TemplateId,
    int TemplateVersion,
    DealId? Deal,
    ClientId? Client,
    IReadOnlyDictionary<string, UserId> Roles,
    IReadOnlyDictionary<string, string> Variables) : DomainEvent;

/// <summary>A process instance entered a step (its first step too).</summary>
/// <param name="Process">The instance id.</param>
/// <param name="FromStep">The step it left; null for the first step.</param>
/// <param name="Trigger">The trigger that moved it; null for the first step.</param>
/// <param name="Step">The step entered.</param>
/// <param name="Completed">True when the step is final: the process is complete.</param>
/// <param name="Deadline">When the step should be done, when it has a deadline.</param>
/// <param name="Waits">Events the step waits for.</param>
public sealed record ProcessStepEntered(
    ProcessId Process,
    string? FromStep,
    string? Trigger,
    string Step,
    bool Completed,
    NodaTime.Instant? Deadline,
    IReadOnlyList<ProcessWait> Waits) : DomainEvent;

/// <summary>A process instance was cancelled.</summary>
/// <param name="Process">The instance id.</param>
/// <param name="Reason">Why.</param>
public sealed record ProcessCancelled(ProcessId Process, string Reason) : DomainEvent;

/// <summary>A business rule was defined or redefined (a new version) for the tenant; the definition is the rule's JSON.</summary>
public sealed record RuleDefined(RuleId Rule, int Version, string DefinitionJson) : DomainEvent;

/// <summary>A business rule was enabled or disabled.</summary>
public sealed record RuleEnabledChanged(RuleId Rule, bool Enabled) : DomainEvent;

/// <summary>A business rule triggered for a deal: a rule instance started.</summary>
/// <param name="Instance">The rule instance id.</param>
/// <param name="Rule">The rule.</param>
/// <param name="RuleVersion">The rule version the instance keeps.</param>
/// <param name="Deal">The deal.</param>
/// <param name="Stage">The deal's stage when the rule triggered.</param>
/// <param name="Deadline">When the rule's goal must be met, when it has one.</param>
/// <param name="ScheduledActions">How many scheduled actions the instance has pending.</param>
public sealed record RuleTriggered(string Instance, RuleId Rule, int RuleVersion, DealId Deal, StageId Stage, NodaTime.Instant? Deadline, int ScheduledActions) : DomainEvent;

/// <summary>A scheduled action of a rule instance came due: it fired, or its "unless" condition held and it was skipped, or it was cancelled.</summary>
internal sealed record RuleScheduledActionDone(string Instance, int Index, string Outcome) : DomainEvent;

/// <summary>An exception (e.g. "Complex") was asked for a rule instance; the approver decides.</summary>
public sealed record RuleExceptionRequested(string Instance, string Flag, string Reason, UserId Approver) : DomainEvent;

/// <summary>The approver decided on a rule exception.</summary>
/// <param name="Instance">The rule instance.</param>
/// <param name="Approved">True when approved.</param>
/// <param name="NewDeadline">The extended deadline, when approval extends it.</param>
public sealed record RuleExceptionDecided(string Instance, bool Approved, NodaTime.Instant? NewDeadline) : DomainEvent;

/// <summary>A rule instance ended with its one outcome: <c>met</c>, <c>violated</c> or <c>exempted</c>.</summary>
public sealed record RuleOutcomeRecorded(string Instance, string Outcome, string Detail) : DomainEvent;

/// <summary>An item was added to a recipient's daily digest.</summary>
internal sealed record DigestItemAdded(string Digest, UserId Recipient, NodaTime.LocalDate Day, string Subject, string Text) : DomainEvent;

/// <summary>A digest was sent as one notification.</summary>
public sealed record DigestSent(string Digest) : DomainEvent;

/// <summary>A journal consumer (e.g. notification delivery) handled the journal up to a position.</summary>
internal sealed record ConsumerAdvanced(string Consumer, long Position) : DomainEvent;

/// <summary>Delivering a notification through a channel failed; it will be retried at <paramref name="NextAttemptAt"/>.</summary>
public sealed record NotificationDeliveryFailed(
    string Delivery,
    NotificationId Notification,
    string Channel,
    UserId Recipient,
    string Subject,
    string Body,
    DealId? Deal,
    string Error,
    int Attempts,
    NodaTime.Instant? NextAttemptAt) : DomainEvent;

/// <summary>A failed delivery was retried: delivered, or failed again (no next attempt once retries are exhausted).</summary>
internal sealed record NotificationDeliveryRetried(string Delivery, bool Delivered, string? Error, int Attempts, NodaTime.Instant? NextAttemptAt) : DomainEvent;

/// <summary>A tenant was set up (recorded in the kernel's own registry of tenants).</summary>
public sealed record TenantRegistered(TenantId Tenant) : DomainEvent;

/// <summary>A phone call began (ringing, or dialled out). <paramref name="Number"/> is in E.164 form.</summary>
public sealed record CallStarted(string Call, Ports.CallDirection Direction, string Number, ClientId? Client, UserId? User) : DomainEvent;

/// <summary>A call was answered by a user; <paramref name="Client"/> is the client it is linked to (recognized or created for an unknown caller).</summary>
public sealed record CallAnswered(string Call, UserId By, ClientId? Client) : DomainEvent;

/// <summary>
/// The "client card" event: an incoming call was recognized as a client's, for the answering user. Front-ends show the
/// card (open deals, last interactions) from <c>kernel.Telephony.ClientCardAsync</c>.
/// </summary>
public sealed record CallerRecognized(string Call, ClientId Client, UserId For) : DomainEvent;

/// <summary>A call ended; <paramref name="Missed"/> when nobody answered.</summary>
public sealed record CallEnded(string Call, bool Missed, NodaTime.Duration Talk, string? Recording) : DomainEvent;

/// <summary>A product of the catalogue was defined or changed.</summary>
public sealed record ProductDefined(string Product, string Name, Money Price, decimal TaxRate) : DomainEvent;

/// <summary>One line of an invoice, with its computed amounts (rounded to cents).</summary>
public sealed record InvoiceLine(string Product, string Description, decimal Quantity, decimal UnitPrice, decimal DiscountPercent, decimal TaxRate, decimal Net, decimal Tax, decimal Total);

/// <summary>An invoice was built from product lines for a deal.</summary>
public sealed record InvoiceCreated(InvoiceId Invoice, DealId Deal, ClientId Client, string Currency, IReadOnlyList<InvoiceLine> Lines, decimal Net, decimal Tax, decimal Total) : DomainEvent;

/// <summary>An invoice was issued with its number.</summary>
public sealed record InvoiceIssued(InvoiceId Invoice, string Number) : DomainEvent;

/// <summary>An invoice was paid: a sale. Rules can use it (e.g. to achieve the goal "payment received").</summary>
public sealed record InvoicePaid(InvoiceId Invoice, DealId Deal, Money Amount) : DomainEvent;

/// <summary>An invoice was cancelled.</summary>
public sealed record InvoiceCancelled(InvoiceId Invoice, string Reason) : DomainEvent;

/// <summary>A website order was taken in: its client card, deal and invoice.</summary>
public sealed record OrderReceived(string Order, DealId Deal, ClientId Client, InvoiceId Invoice) : DomainEvent;

/// <summary>An endpoint subscribed to journal events (e.g. the website's personal account).</summary>
/// <param name="Subscription">The subscription id.</param>
/// <param name="Url">Where events are POSTed.</param>
/// <param name="Secret">The HMAC-SHA256 key the receiver verifies signatures with.</param>
/// <param name="EventTypes">The event type names delivered (e.g. DealStageChanged).</param>
public sealed record WebhookSubscribed(WebhookSubscriptionId Subscription, Uri Url, string Secret, IReadOnlyList<string> EventTypes) : DomainEvent;

/// <summary>A webhook subscription was removed.</summary>
public sealed record WebhookUnsubscribed(WebhookSubscriptionId Subscription) : DomainEvent;

/// <summary>A webhook delivery failed after every retry; it waits in the dead-letter list, and later events of the same deal wait behind it.</summary>
public sealed record WebhookDeadLettered(WebhookSubscriptionId Subscription, Guid EventId, long Position, string? DealKey, string Body, string Error) : DomainEvent;

/// <summary>A dead-lettered webhook delivery was replayed successfully.</summary>
public sealed record WebhookReplayed(WebhookSubscriptionId Subscription, Guid EventId) : DomainEvent;

/// <summary>A revenue target was set for a user over a plan period (inclusive dates).</summary>
public sealed record TargetSet(UserId Owner, NodaTime.LocalDate Start, NodaTime.LocalDate End, Money Target) : DomainEvent;

/// <summary>A sales methodology was installed into the tenant (its pipelines and rules are recorded by their own events in the same commit).</summary>
/// <param name="Methodology">The methodology's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Pipelines">The pipelines it defines.</param>
/// <param name="Rules">Its rules as <c>id@version</c>.</param>
/// <param name="ProcessTemplates">Its process templates as <c>id@version</c>.</param>
/// <param name="Classifiers">Its client classifiers with their allowed values.</param>
/// <param name="ReportPresets">Its report presets as JSON (report designer definitions).</param>
public sealed record MethodologyInstalled(
    string Methodology,
    string Name,
    IReadOnlyList<PipelineId> Pipelines,
    IReadOnlyList<string> Rules,
    IReadOnlyList<string> ProcessTemplates,
    IReadOnlyList<Crm.Abstractions.Plugins.ClientClassifierDefinition> Classifiers,
    IReadOnlyList<string> ReportPresets) : DomainEvent;

/// <summary>
/// A tenant's administrator defined a version of a setting: a process template, the business calendar, a user's own
/// hours, order-intake options, and so on. Every version is kept, so what started on one version stays on it.
/// </summary>
/// <param name="Kind">What the setting is, e.g. <c>process-template</c> or <c>calendar</c>.</param>
/// <param name="Key">Which one of its kind, e.g. the template id; <c>default</c> for a setting the tenant has once.</param>
/// <param name="Version">Its version (it grows with every definition of the same kind and key).</param>
/// <param name="Json">The definition as JSON.</param>
public sealed record TenantSettingDefined(string Kind, string Key, int Version, string Json) : DomainEvent;

/// <summary>One product line of a deal: a product of the catalogue, how many, at what unit price, with what discount.</summary>
/// <param name="Product">The product id (from the catalogue).</param>
/// <param name="Quantity">How many; more than zero and at most 1,000,000.</param>
/// <param name="UnitPrice">The unit price agreed on the deal, in the deal's currency (it may differ from the catalogue's).</param>
/// <param name="DiscountPercent">Discount in percent, 0 to 100.</param>
public sealed record DealLine(string Product, decimal Quantity, Money UnitPrice, decimal DiscountPercent = 0m);

/// <summary>A deal's product lines were replaced as a whole (an empty list removes them); the amount follows by its own <see cref="DealAmountChanged"/>.</summary>
/// <param name="Deal">The deal.</param>
/// <param name="Lines">The lines now, in the order given.</param>
public sealed record DealLinesSet(DealId Deal, IReadOnlyList<DealLine> Lines) : DomainEvent;

/// <summary>An administrator defined (or renamed) a warehouse of the tenant.</summary>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Name">Its name.</param>
public sealed record WarehouseDefined(string Warehouse, string Name) : DomainEvent;

/// <summary>Goods of a product arrived at a warehouse: on hand grows by <paramref name="Quantity"/>.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Quantity">How many; more than zero.</param>
public sealed record StockReceived(string Product, string Warehouse, decimal Quantity) : DomainEvent;

/// <summary>An issued invoice reserved units of a product at a warehouse: reserved grows, on hand stays.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Quantity">How many; more than zero.</param>
/// <param name="Invoice">The invoice that reserved them.</param>
/// <param name="Backorder">True when the reservation went beyond the available stock because the tenant allows backorders.</param>
public sealed record StockReserved(string Product, string Warehouse, decimal Quantity, InvoiceId Invoice, bool Backorder) : DomainEvent;

/// <summary>A reservation was released (its invoice was cancelled): reserved shrinks, on hand stays.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Quantity">How many.</param>
/// <param name="Invoice">The invoice whose reservation it was.</param>
public sealed record StockReleased(string Product, string Warehouse, decimal Quantity, InvoiceId Invoice) : DomainEvent;

/// <summary>
/// Units left a warehouse for good: on hand shrinks. With an invoice, its reservation was written off on payment
/// (reserved shrinks too); without, an administrator wrote them off by hand (damaged, lost) and says why.
/// </summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Quantity">How many.</param>
/// <param name="Invoice">The paid invoice, or null for a write-off by hand.</param>
/// <param name="Reason">Why, for a write-off by hand.</param>
public sealed record StockWrittenOff(string Product, string Warehouse, decimal Quantity, InvoiceId? Invoice, string? Reason) : DomainEvent;

/// <summary>A client returned units of a product to a warehouse: on hand grows.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Quantity">How many; more than zero.</param>
/// <param name="Reason">Why they came back.</param>
public sealed record StockReturned(string Product, string Warehouse, decimal Quantity, string Reason) : DomainEvent;

/// <summary>Units of a product left a warehouse for another (recorded with <see cref="StockTransferredIn"/> in the same commit).</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse they left.</param>
/// <param name="To">The warehouse they went to.</param>
/// <param name="Quantity">How many.</param>
public sealed record StockTransferredOut(string Product, string Warehouse, string To, decimal Quantity) : DomainEvent;

/// <summary>Units of a product arrived from another warehouse (recorded with <see cref="StockTransferredOut"/> in the same commit).</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse they arrived at.</param>
/// <param name="From">The warehouse they left.</param>
/// <param name="Quantity">How many.</param>
public sealed record StockTransferredIn(string Product, string Warehouse, string From, decimal Quantity) : DomainEvent;

/// <summary>A seller asked for approval of an invoice's discount, which crosses a threshold of the tenant's discount policy; the invoice is held until every step approves.</summary>
/// <param name="Invoice">The held invoice.</param>
/// <param name="Seller">Who asked (the deal's owner or someone acting for them).</param>
/// <param name="DiscountPercent">The invoice's largest line discount.</param>
/// <param name="ThresholdPercent">The highest threshold it crosses.</param>
/// <param name="Approvers">The approver of each step, in order, resolved when asked.</param>
/// <param name="Reason">Why the seller asks.</param>
public sealed record DiscountApprovalRequested(InvoiceId Invoice, UserId Seller, decimal DiscountPercent, decimal ThresholdPercent, IReadOnlyList<UserId> Approvers, string Reason) : DomainEvent;

/// <summary>The approver of one step decided on an invoice's discount; a rejection ends the request and the invoice stays held.</summary>
/// <param name="Invoice">The invoice.</param>
/// <param name="Step">The step decided, from 0.</param>
/// <param name="Approver">Who decided.</param>
/// <param name="Approved">Whether the step approved.</param>
/// <param name="Reason">Why; required for a rejection.</param>
public sealed record DiscountStepDecided(InvoiceId Invoice, int Step, UserId Approver, bool Approved, string? Reason) : DomainEvent;

/// <summary>A reorder point was set for a product at a warehouse: when available stock falls below it, a purchase order is placed.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="Point">Available stock below this places an order.</param>
/// <param name="OrderQuantity">How many units each order asks for.</param>
/// <param name="Supplier">The client card of the product's supplier.</param>
/// <param name="Purchaser">Who gets the task to follow the order up.</param>
public sealed record ReorderPointDefined(string Product, string Warehouse, decimal Point, decimal OrderQuantity, ClientId Supplier, UserId Purchaser) : DomainEvent;

/// <summary>Available stock fell below a reorder point and a purchase order was placed with the product's supplier.</summary>
/// <param name="Order">The purchase order id.</param>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse the goods go to.</param>
/// <param name="Quantity">How many units were ordered.</param>
/// <param name="Supplier">The supplier's client card.</param>
public sealed record PurchaseOrderPlaced(string Order, string Product, string Warehouse, decimal Quantity, ClientId Supplier) : DomainEvent;

/// <summary>A purchase order's goods arrived (recorded with <see cref="StockReceived"/> in the same commit); the order is closed.</summary>
/// <param name="Order">The purchase order id.</param>
public sealed record PurchaseOrderReceived(string Order) : DomainEvent;
