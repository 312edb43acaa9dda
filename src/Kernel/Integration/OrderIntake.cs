using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Integration;

/// <summary>The buyer of a website order.</summary>
/// <param name="Name">The buyer's or the company's name.</param>
/// <param name="Phone">A phone number in any style.</param>
/// <param name="Email">An e-mail address.</param>
public sealed record OrderBuyer(string Name, string? Phone, string? Email)
{
    /// <summary>True when the buyer is a company.</summary>
    public bool IsCompany { get; init; }
    /// <summary>City.</summary>
    public string? City { get; init; }
    /// <summary>Region.</summary>
    public string? Region { get; init; }
}

/// <summary>An order from the website.</summary>
/// <param name="ExternalId">The shop's order id; the same id posted twice creates one deal.</param>
/// <param name="Buyer">Who ordered.</param>
/// <param name="Lines">What was ordered (products of the catalogue).</param>
public sealed record WebsiteOrder(string ExternalId, OrderBuyer Buyer, IReadOnlyList<InvoiceLineRequest> Lines)
{
    /// <summary>The buyer's comment.</summary>
    public string? Comment { get; init; }
}

/// <summary>A taken-in order as stored.</summary>
public sealed record Order
{
    /// <summary>The shop's order id.</summary>
    public required string Id { get; init; }
    /// <summary>The deal created for it.</summary>
    public required DealId Deal { get; init; }
    /// <summary>The client card (found or created).</summary>
    public required ClientId Client { get; init; }
    /// <summary>The invoice built from its lines.</summary>
    public required InvoiceId Invoice { get; init; }
    /// <summary>When it came in.</summary>
    public Instant ReceivedAt { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>What order intake did.</summary>
/// <param name="Created">False when the order had been taken in before (the existing records are returned).</param>
/// <param name="Order">The order.</param>
/// <param name="NewClient">True when the buyer got a new client card (false: found by phone or e-mail).</param>
public sealed record OrderIntakeResult(bool Created, Order Order, bool NewClient);

/// <summary>
/// Takes website orders in, all in one unit of work: finds the client card by normalized phone or e-mail (or creates
/// it), opens a deal in the pipeline's "Unsorted" stage owned by that stage's manager (else an administrator), builds
/// the invoice from the lines, creates the owner's task and starts the configured process. Idempotent by the order's
/// external id. Bad input (no lines, unknown products, a malformed phone, oversized texts) creates nothing.
/// </summary>
public sealed class OrderIntake
{
    private const string OrderScope = "order-external-id";
    private readonly KernelContext _context;

    private readonly KernelParts _parts;

    internal OrderIntake(KernelContext context, KernelParts parts)
    {
        _context = context;
        _parts = parts;
    }

    /// <summary>How often a new buyer's card is looked up again after another order created it at the same moment.</summary>
    private const int MaxAttempts = 3;

    /// <summary>
    /// Takes an order in for a tenant. Two orders of one new buyer arriving at once land on one client card: the
    /// one that loses the race for the buyer's phone or e-mail finds the card the other created and uses it.
    /// </summary>
    /// <exception cref="CrmValidationException">The order is invalid; nothing was created. Every problem has its path.</exception>
    public async Task<OrderIntakeResult> IntakeAsync(TenantId tenant, WebsiteOrder order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        var contacts = Validate(order);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await IntakeOnceAsync(tenant, order, contacts, cancellationToken).ConfigureAwait(false);
            }
            catch (DuplicateKeyException e) when (attempt < MaxAttempts && e.Scope is SessionClients.PhoneScope or SessionClients.EmailScope)
            {
                // Another command took the buyer's phone or e-mail between our lookup and our commit (nothing of ours
                // was written): look the card up again; the next attempt finds it.
            }
        }
    }

    private async Task<OrderIntakeResult> IntakeOnceAsync(TenantId tenant, WebsiteOrder order, List<(string Scope, string Key)> contacts, CancellationToken cancellationToken)
    {
        var unit = _context.Begin(tenant, null);
        if (await unit.FindAsync(Kinds.Order, order.ExternalId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return new OrderIntakeResult(false, existing, false);
        }

        var (pipeline, stage) = await Pipelines.UnsortedInbox.FindAsync(unit, "website orders", cancellationToken).ConfigureAwait(false);
        var owner = stage.Manager ?? await Pipelines.UnsortedInbox.AdministratorAsync(unit, "website orders (set the unsorted stage's manager)", cancellationToken).ConfigureAwait(false);
        var cause = new Cause(CauseKind.Integration, "website", "order " + order.ExternalId);

        ClientId? clientId = null;
        foreach (var (scope, key) in contacts)
        {
            if (await _context.Store.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken).ConfigureAwait(false) is { } found)
            {
                clientId = new ClientId(found);
                break;
            }
        }

        var newClient = clientId is null;
        if (clientId is null)
        {
            clientId = ClientId.New();
            foreach (var (scope, key) in contacts)
            {
                unit.TakeUniqueKey(scope, key, clientId.Value.Value);
            }

            var phone = contacts.FirstOrDefault(c => c.Scope == SessionClients.PhoneScope).Key;
            var email = contacts.FirstOrDefault(c => c.Scope == SessionClients.EmailScope).Key;
            await unit.RecordAsync(new ClientRegistered(clientId.Value, order.Buyer.IsCompany ? ClientKind.Company : ClientKind.Person, order.Buyer.Name.Trim(),
                [new ClientContact(order.Buyer.Name.Trim(), phone, email)], order.Buyer.Region, order.Buyer.City, null, owner, unit.Now), cause, cancellationToken).ConfigureAwait(false);
        }

        var dealId = DealId.New();
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["order"] = order.ExternalId };
        if (!string.IsNullOrWhiteSpace(order.Comment))
        {
            fields["comment"] = order.Comment.Trim();
        }

        var deal = (Deal)(await unit.RecordAsync(new DealOpened(dealId, clientId.Value, pipeline.Id, stage.Id, owner, Money.Zero(_parts.Options.DefaultCurrency),
            "Order " + order.ExternalId, "website", null, null, fields), cause, cancellationToken).ConfigureAwait(false))!;
        var invoice = await InvoiceBuilder.BuildAsync(unit, deal, order.Lines, cause, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new DealAmountChanged(dealId, Money.Of(invoice.Total, invoice.Currency)), cause, cancellationToken).ConfigureAwait(false);
        var intake = await _parts.Processes.Configuration.OrderIntakeAsync(unit, _parts.Options.OrderProcessTemplate, _parts.Options.OrderTaskTitle, cancellationToken).ConfigureAwait(false);
        if (intake.TaskTitle is { } title)
        {
            var ownerCalendar = await _parts.Processes.Configuration.CalendarOfAsync(unit, owner, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new WorkTaskCreated(WorkTaskId.New(), $"{title}: order {order.ExternalId}", owner, ownerCalendar.AddWorkingTime(unit.Now, Duration.FromHours(2)), dealId, clientId),
                cause, cancellationToken).ConfigureAwait(false);
        }

        if (intake.ProcessTemplate is { } template)
        {
            await _parts.Processes.StartAsync(unit, template, dealId, null, null, cause, cancellationToken).ConfigureAwait(false);
        }

        unit.TakeUniqueKey(OrderScope, order.ExternalId, order.ExternalId);
        await unit.RecordAsync(new OrderReceived(order.ExternalId, dealId, clientId.Value, invoice.Id), cause, cancellationToken).ConfigureAwait(false);
        try
        {
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DuplicateKeyException { Scope: OrderScope } or ConcurrencyConflictException { Kind: "order" })
        {
            // The same order was posted twice at once: the other post created it.
            var other = await _context.Begin(tenant, null).GetAsync(Kinds.Order, order.ExternalId, cancellationToken).ConfigureAwait(false);
            return new OrderIntakeResult(false, other, false);
        }

        return new OrderIntakeResult(true, unit.Result(Kinds.Order, order.ExternalId), newClient);
    }

    private List<(string Scope, string Key)> Validate(WebsiteOrder order)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(order.ExternalId) || order.ExternalId.Length > 100 || order.ExternalId.Any(char.IsWhiteSpace))
        {
            errors.Add(new("externalId", "the shop's order id (1 to 100 characters, no spaces) is required."));
        }
        else if (!IsExternalId(order.ExternalId))
        {
            // The id goes into URLs and headers (Location: /orders/{id}) and into other systems: printable ASCII only.
            errors.Add(new("externalId", $"'{InputRules.Quote(order.ExternalId)}' may hold printable ASCII characters only (letters, digits and punctuation, no spaces or control characters)."));
        }

        var contacts = new List<(string, string)>();
        if (order.Buyer is null)
        {
            errors.Add(new("buyer", "the buyer is required."));
        }
        else
        {
            if (string.IsNullOrWhiteSpace(order.Buyer.Name) || order.Buyer.Name.Length > TextLimits.Name)
            {
                errors.Add(new("buyer.name", $"a name of 1 to {TextLimits.Name} characters is required."));
            }
            else
            {
                InputRules.Text(errors, "buyer.name", order.Buyer.Name, TextLimits.Name, required: true, singleLine: true);
            }

            InputRules.Text(errors, "buyer.city", order.Buyer.City, TextLimits.Attribute, singleLine: true);
            InputRules.Text(errors, "buyer.region", order.Buyer.Region, TextLimits.Attribute, singleLine: true);

            if (string.IsNullOrWhiteSpace(order.Buyer.Phone) && string.IsNullOrWhiteSpace(order.Buyer.Email))
            {
                errors.Add(new("buyer", "a phone or an e-mail is required to find or create the client card."));
            }

            if (!string.IsNullOrWhiteSpace(order.Buyer.Phone))
            {
                if (_parts.Contacts.TryNormalizePhone(order.Buyer.Phone, out var e164))
                {
                    contacts.Add((SessionClients.PhoneScope, e164));
                }
                else if (InputRules.Problem(order.Buyer.Phone, TextLimits.Phone, required: true, singleLine: true) is { } problem)
                {
                    errors.Add(new("buyer.phone", problem));
                }
                else
                {
                    errors.Add(new("buyer.phone", $"'{InputRules.Quote(order.Buyer.Phone)}' is not a valid phone number (default region {_parts.Contacts.DefaultRegion})."));
                }
            }

            if (!string.IsNullOrWhiteSpace(order.Buyer.Email))
            {
                try
                {
                    contacts.Add((SessionClients.EmailScope, _parts.Contacts.NormalizeEmail(order.Buyer.Email, "buyer.email")));
                }
                catch (CrmValidationException e)
                {
                    errors.AddRange(e.Errors);
                }
            }
        }

        if (order.Lines is null || order.Lines.Count == 0)
        {
            errors.Add(new("lines", "an order needs at least one line."));
        }
        else if (order.Lines.Count > InvoiceBuilder.MaxLines)
        {
            errors.Add(new("lines", $"an order has at most {InvoiceBuilder.MaxLines} lines; got {order.Lines.Count}."));
        }

        if (order.Comment is { Length: > 4000 })
        {
            errors.Add(new("comment", $"is at most 4000 characters; got {order.Comment.Length}."));
        }
        else
        {
            InputRules.Text(errors, "comment", order.Comment, TextLimits.Value);
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        return contacts;
    }

    private static bool IsExternalId(string id)
    {
        foreach (var c in id)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
