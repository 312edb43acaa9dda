using System.Globalization;
using System.Net;
using System.Text;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;

namespace Crm.Kernel.Invoicing;

/// <summary>The product catalogue. Administrators define products; everyone reads them.</summary>
public sealed class SessionProducts
{
    private readonly CrmSession _session;

    internal SessionProducts(CrmSession session) => _session = session;

    /// <summary>Defines (or changes) a product.</summary>
    /// <exception cref="CrmValidationException">Empty id or name, a negative price, a price above 10^15 or with more than 4 decimals,
    /// a tax rate outside [0, 1], a text that is not valid UTF-16.</exception>
    public async Task<Product> DefineAsync(string id, string name, Money price, decimal taxRate = 0m, CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(id) || id.Length > 100)
        {
            errors.Add(new("id", "a product id of 1 to 100 characters is required."));
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > 300)
        {
            errors.Add(new("name", "a product name of 1 to 300 characters is required."));
        }

        if (price.Currency is null || price.Amount < 0m)
        {
            errors.Add(new("price", $"a price of zero or more with a currency is required; got {price}."));
        }
        else
        {
            InputRules.Amount(errors, "price", price.Amount);
        }

        if (errors.Count == 0)
        {
            InputRules.Text(errors, "id", id, TextLimits.Key, required: true, singleLine: true);
            InputRules.Text(errors, "name", name, TextLimits.Name, required: true, singleLine: true);
        }

        if (taxRate is < 0m or > 1m)
        {
            errors.Add(new("taxRate", $"must be between 0 and 1 (e.g. 0.25); got {taxRate}."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define products");
        await unit.RecordAsync(new ProductDefined(id.Trim(), name.Trim(), price, taxRate), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Product, id.Trim());
    }

    /// <summary>The catalogue in id order.</summary>
    public async Task<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Product>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Product.Name, null, cancellationToken).ConfigureAwait(false))
        {
            result.Add((Product)Kinds.Product.Read(document));
        }

        return result;
    }
}

/// <summary>Invoices of the deals a session may see: built from products in one call, issued, paid (a sale), cancelled.</summary>
public sealed class SessionInvoices
{
    private readonly CrmSession _session;

    internal SessionInvoices(CrmSession session) => _session = session;

    /// <summary>Builds a draft invoice for a deal from product lines (prices from the catalogue, discounts, taxes, totals).</summary>
    /// <exception cref="CrmValidationException">No lines, unknown products, bad quantities or discounts, mixed currencies.</exception>
    public async Task<Invoice> CreateAsync(DealId deal, IReadOnlyList<InvoiceLineRequest> lines, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(dealState.Owner, "invoice a deal", $"deal '{deal}'");
        var invoice = await InvoiceBuilder.BuildAsync(unit, dealState, lines, Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Invoice, invoice.Id.Value);
    }

    /// <summary>
    /// Builds a draft invoice from the deal's own product lines in one call: one invoice line per deal line, with the
    /// deal's quantity, unit price and discount and the product's name and tax rate; the invoice's net equals the deal's amount.
    /// </summary>
    /// <exception cref="CrmValidationException">The deal has no product lines (set them with <see cref="Deals.SessionDeals.SetLinesAsync"/>).</exception>
    /// <exception cref="EntityNotFoundException">The deal does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user may not act on the deal.</exception>
    public async Task<Invoice> CreateFromDealAsync(DealId deal, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(dealState.Owner, "invoice a deal", $"deal '{deal}'");
        var invoice = await InvoiceBuilder.BuildFromDealAsync(unit, dealState, Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Invoice, invoice.Id.Value);
    }

    /// <summary>
    /// Issues a draft invoice and gives it a number. Its stock-tracked lines are reserved at the tenant's default
    /// warehouse in the same commit (see docs/selling.md, "Stock"); when another command changed that stock first, the
    /// issue runs again on fresh stock (up to three times).
    /// </summary>
    /// <exception cref="InvalidStateException">The invoice is not a draft.</exception>
    /// <exception cref="Discounts.DiscountApprovalRequiredException">A line's discount crosses a threshold of the tenant's discount policy and its approval request is missing, pending or rejected; nothing changed.</exception>
    /// <exception cref="Stock.InsufficientStockException">A line needs more units than are available and the tenant does not allow backorders; the invoice stays a draft and nothing changed.</exception>
    public async Task<Invoice> IssueAsync(InvoiceId invoiceId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ChangeAsync(invoiceId, InvoiceStatus.Draft, "issue an invoice", (unit, i) =>
                    new InvoiceIssued(i.Id, $"INV-{unit.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}-{i.Id.Value[..6].ToUpperInvariant()}"), cancellationToken,
                    async (unit, i, ct) =>
                    {
                        await Discounts.DiscountGate.CheckAsync(unit, i, ct).ConfigureAwait(false);
                        await Stock.StockLedger.ReserveAsync(unit, i, ct).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException) when (attempt < 3)
            {
                // A concurrent reservation (or payment) changed the stock record: read it again and decide on fresh numbers.
            }
        }
    }

    /// <summary>Marks an issued invoice paid: a sale. Rules listening to <c>InvoicePaid</c> run in the same command.</summary>
    public Task<Invoice> MarkPaidAsync(InvoiceId invoiceId, CancellationToken cancellationToken = default) =>
        ChangeAsync(invoiceId, InvoiceStatus.Issued, "record a payment", (_, i) => new InvoicePaid(i.Id, i.Deal, Money.Of(i.Total, i.Currency)), cancellationToken,
            (unit, i, ct) => Stock.StockLedger.SettleAsync(unit, i, paid: true, ct));

    /// <summary>Cancels a draft or issued invoice.</summary>
    public Task<Invoice> CancelAsync(InvoiceId invoiceId, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new CrmValidationException("reason", "say why the invoice is cancelled.");
        }

        InputRules.RequireText("reason", reason, TextLimits.Value, required: true);

        return ChangeAsync(invoiceId, null, "cancel an invoice", (_, i) => new InvoiceCancelled(i.Id, reason.Trim()), cancellationToken,
            (unit, i, ct) => Stock.StockLedger.SettleAsync(unit, i, paid: false, ct));
    }

    /// <summary>Gets an invoice of a visible deal (any invoice with <see cref="Permission.SeeInvoices"/>).</summary>
    /// <exception cref="EntityNotFoundException">It does not exist or the user may not see it.</exception>
    public async Task<Invoice> GetAsync(InvoiceId invoiceId, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await VisibleAsync(unit, actor, invoiceId, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<Invoice> VisibleAsync(UnitOfWork unit, SessionActor actor, InvoiceId invoiceId, CancellationToken cancellationToken)
    {
        var invoice = await unit.FindAsync(Kinds.Invoice, invoiceId.Value, cancellationToken).ConfigureAwait(false);
        var deal = invoice is null ? null : await unit.FindAsync(Kinds.Deal, invoice.Deal.Value, cancellationToken).ConfigureAwait(false);
        return invoice is not null && deal is not null && (actor.CanSee(deal.Owner) || actor.Has(Permission.SeeInvoices))
            ? invoice
            : throw new EntityNotFoundException("invoice", invoiceId.Value);
    }

    /// <summary>The invoices of a visible deal (of any deal with <see cref="Permission.SeeInvoices"/>).</summary>
    /// <exception cref="EntityNotFoundException">The deal does not exist or the user may not see it.</exception>
    public async Task<IReadOnlyList<Invoice>> ListForDealAsync(DealId deal, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        if (dealState is null || !actor.CanSee(dealState.Owner) && !actor.Has(Permission.SeeInvoices))
        {
            throw new EntityNotFoundException("deal", deal.Value);
        }

        var result = new List<Invoice>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Invoice.Name, new IndexEntry("deal", deal.Value), cancellationToken).ConfigureAwait(false))
        {
            result.Add((Invoice)Kinds.Invoice.Read(document));
        }

        return result;
    }

    /// <summary>A printable, self-contained HTML page of an invoice the user may see, addressed to the deal's client.</summary>
    /// <exception cref="EntityNotFoundException">It does not exist or the user may not see it.</exception>
    public async Task<string> RenderHtmlAsync(InvoiceId invoiceId, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await VisibleAsync(unit, actor, invoiceId, cancellationToken).ConfigureAwait(false);

        // Whoever may see the invoice may see the name and city printed on it, even when the card is a colleague's.
        var client = await unit.GetAsync(Kinds.Client, invoice.Client.Value, cancellationToken).ConfigureAwait(false);
        return InvoiceHtml.Render(invoice, client);
    }

    /// <summary>
    /// Asks for approval of a draft invoice's discount (its largest line discount) when it crosses a threshold of the
    /// tenant's discount policy: journals <see cref="DiscountApprovalRequested"/> with the approver of each step
    /// (<c>ownerHead</c>: the head of the deal owner's team) and notifies the first. A new request after a rejection starts over.
    /// </summary>
    /// <exception cref="CrmValidationException">No reason, or the discount needs no approval.</exception>
    /// <exception cref="InvalidStateException">The invoice is not a draft, or a request is already pending or approved.</exception>
    /// <exception cref="EntityNotFoundException">The invoice does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user may not act for the deal's owner.</exception>
    public async Task<Invoice> RequestDiscountApprovalAsync(InvoiceId invoiceId, string reason, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("reason", reason, TextLimits.Value, required: true);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await unit.GetAsync(Kinds.Invoice, invoiceId.Value, cancellationToken).ConfigureAwait(false);
        var deal = await unit.GetAsync(Kinds.Deal, invoice.Deal.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(deal.Owner, "request a discount approval", $"invoice '{invoiceId}'");
        if (invoice.Status != InvoiceStatus.Draft)
        {
            throw new InvalidStateException($"Invoice '{invoiceId}' is {invoice.Status.ToString().ToLowerInvariant()}; only a draft's discount can be approved.");
        }

        var discount = Discounts.DiscountGate.LargestDiscount(invoice);
        var threshold = Discounts.DiscountPolicyJson.Crossed(await Discounts.DiscountGate.PolicyAsync(unit, cancellationToken).ConfigureAwait(false), discount)
            ?? throw new CrmValidationException("invoiceId", $"invoice '{invoiceId}' has a largest discount of {discount} %, which needs no approval under the tenant's discount policy.");
        if (await unit.FindAsync(Kinds.DiscountApproval, invoiceId.Value, cancellationToken).ConfigureAwait(false) is { Rejected: false } existing)
        {
            throw new InvalidStateException($"Invoice '{invoiceId}' already has a discount approval request ({(existing.Approved ? "approved" : $"waiting for {existing.Approvers[existing.Step]}")}).");
        }

        var approvers = await Discounts.DiscountGate.ApproversAsync(unit, threshold, deal.Owner, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new DiscountApprovalRequested(invoiceId, deal.Owner, discount, threshold.AbovePercent, approvers, reason.Trim()), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new NotificationRequested(approvers[0], $"Discount approval: {discount} % on invoice {invoiceId}",
            $"{actor.Id} asks to approve a discount of {discount} % (above {threshold.AbovePercent} %) for {deal.Owner}: {reason.Trim()}", deal.Id), Cause.Manual, cancellationToken).ConfigureAwait(false);
        Discounts.DiscountTimers.Set(unit, invoiceId, 0);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Invoice, invoiceId.Value);
    }

    /// <summary>
    /// The approver of the pending step approves or rejects an invoice's discount (<see cref="DiscountStepDecided"/>).
    /// Approval moves to the next step (notifying its approver) or, after the last, releases the hold and tells the
    /// seller; rejection ends the request, keeps the invoice held and tells the seller why.
    /// </summary>
    /// <exception cref="CrmValidationException">A rejection without a reason.</exception>
    /// <exception cref="AccessDeniedException">The user is not the pending step's approver; nothing changed.</exception>
    /// <exception cref="InvalidStateException">No request is pending.</exception>
    /// <exception cref="EntityNotFoundException">The invoice or its request does not exist.</exception>
    public async Task<Invoice> DecideDiscountAsync(InvoiceId invoiceId, bool approve, string? reason, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("reason", reason, TextLimits.Value, required: !approve);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await unit.GetAsync(Kinds.Invoice, invoiceId.Value, cancellationToken).ConfigureAwait(false);
        var request = await unit.GetAsync(Kinds.DiscountApproval, invoiceId.Value, cancellationToken).ConfigureAwait(false);
        if (request.Rejected || request.Approved)
        {
            throw new InvalidStateException($"Invoice '{invoiceId}' has no pending discount approval request ({(request.Rejected ? "it was rejected" : "it is approved")}).");
        }

        var approver = request.Approvers[request.Step];
        if (actor.Id != approver)
        {
            throw new AccessDeniedException(actor.Id, $"decide step {request.Step + 1} of the discount (it is {approver}'s)", $"invoice '{invoiceId}'");
        }

        var text = reason?.Trim();
        await unit.RecordAsync(new DiscountStepDecided(invoiceId, request.Step, actor.Id, approve, text), Cause.Manual, cancellationToken).ConfigureAwait(false);
        var last = request.Step + 1 >= request.Approvers.Count;
        Discounts.DiscountTimers.Cancel(unit, invoiceId, request.Step);
        if (approve && !last)
        {
            Discounts.DiscountTimers.Set(unit, invoiceId, request.Step + 1);
        }
        var (to, subject, body) = !approve
            ? (request.Seller, $"Discount rejected: invoice {invoiceId}", $"{actor.Id} rejected the discount of {request.DiscountPercent} %: {text}. The invoice stays held; lower the discount or ask again.")
            : last
                ? (request.Seller, $"Discount approved: invoice {invoiceId}", $"{actor.Id} approved the discount of {request.DiscountPercent} %; the invoice can be issued.")
                : (request.Approvers[request.Step + 1], $"Discount approval: {request.DiscountPercent} % on invoice {invoiceId}", $"{actor.Id} approved step {request.Step + 1}; step {request.Step + 2} is yours.");
        await unit.RecordAsync(new NotificationRequested(to, subject, body, invoice.Deal), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Invoice, invoiceId.Value);
    }

    /// <summary>
    /// The discount report per seller: approval requests, approved, rejected, and discounted invoices granted (issued
    /// or paid). A seller sees their own row, a head their team's, an administrator everyone's. Sellers with nothing to
    /// count are left out; rows are ordered by seller id.
    /// </summary>
    public async Task<IReadOnlyList<Discounts.DiscountReportRow>> GetDiscountReportAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var rows = new Dictionary<UserId, (int Requested, int Approved, int Rejected, int Granted)>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.DiscountApproval.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var r = (Discounts.DiscountApproval)Kinds.DiscountApproval.Read(document);
            if (actor.CanSee(r.Seller))
            {
                var row = rows.GetValueOrDefault(r.Seller);
                rows[r.Seller] = (row.Requested + r.Requests, row.Approved + (r.Approved ? 1 : 0), row.Rejected + r.Rejections, row.Granted);
            }
        }

        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Invoice.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var invoice = (Invoice)Kinds.Invoice.Read(document);
            if (invoice.Status is not (InvoiceStatus.Issued or InvoiceStatus.Paid) || Discounts.DiscountGate.LargestDiscount(invoice) <= 0m
                || await unit.FindAsync(Kinds.Deal, invoice.Deal.Value, cancellationToken).ConfigureAwait(false) is not { } deal || !actor.CanSee(deal.Owner))
            {
                continue;
            }

            var row = rows.GetValueOrDefault(deal.Owner);
            rows[deal.Owner] = row with { Granted = row.Granted + 1 };
        }

        return [.. rows.OrderBy(p => p.Key.Value, StringComparer.Ordinal).Select(p => new Discounts.DiscountReportRow(p.Key, p.Value.Requested, p.Value.Approved, p.Value.Rejected, p.Value.Granted))];
    }

    private async Task<Invoice> ChangeAsync(InvoiceId invoiceId, InvoiceStatus? required, string action, Func<UnitOfWork, Invoice, DomainEvent> change, CancellationToken cancellationToken,
        Func<UnitOfWork, Invoice, CancellationToken, ValueTask>? stock = null)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var invoice = await unit.GetAsync(Kinds.Invoice, invoiceId.Value, cancellationToken).ConfigureAwait(false);
        var deal = await unit.GetAsync(Kinds.Deal, invoice.Deal.Value, cancellationToken).ConfigureAwait(false);
        if (!actor.Has(Permission.SeeInvoices))
        {
            actor.RequireCanActFor(deal.Owner, action, $"invoice '{invoiceId}'");
        }

        if (required is { } status ? invoice.Status != status : invoice.Status is InvoiceStatus.Paid or InvoiceStatus.Cancelled)
        {
            throw new InvalidStateException($"Invoice '{invoiceId}' is {invoice.Status.ToString().ToLowerInvariant()}; cannot {action} now.");
        }

        if (stock is not null)
        {
            // The stock movement (reserve on issue, write off on payment, release on cancel) commits with the invoice's event or not at all.
            await stock(unit, invoice, cancellationToken).ConfigureAwait(false);
        }

        await unit.RecordAsync(change(unit, invoice), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Invoice, invoiceId.Value);
    }
}

/// <summary>Renders an invoice as a printable HTML page.</summary>
internal static class InvoiceHtml
{
    /// <summary>The page; every text is HTML-encoded.</summary>
    public static string Render(Invoice invoice, Crm.Kernel.Clients.Client client)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(client);
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        static string N(decimal d) => d.ToString("#,0.00", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Invoice ").Append(E(invoice.Number ?? invoice.Id.Value)).Append("</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:4px;text-align:right}td:first-child,th:first-child{text-align:left}@media print{body{margin:0}}</style></head><body>")
            .Append("<h1>Invoice ").Append(E(invoice.Number ?? "(draft)")).Append("</h1>")
            .Append("<p>To: <strong>").Append(E(client.Name)).Append("</strong>").Append(client.City is null ? "" : ", " + E(client.City)).Append("</p>")
            .Append("<table><tr><th>Item</th><th>Qty</th><th>Unit price</th><th>Discount %</th><th>Net</th><th>Tax</th><th>Total</th></tr>");
        foreach (var line in invoice.Lines)
        {
            html.Append("<tr><td>").Append(E(line.Description)).Append("</td><td>").Append(line.Quantity.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(N(line.UnitPrice)).Append("</td><td>").Append(line.DiscountPercent.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(N(line.Net)).Append("</td><td>").Append(N(line.Tax)).Append("</td><td>").Append(N(line.Total)).Append("</td></tr>");
        }

        html.Append("<tr><th>Total ").Append(E(invoice.Currency)).Append("</th><td></td><td></td><td></td><th>").Append(N(invoice.Net)).Append("</th><th>")
            .Append(N(invoice.Tax)).Append("</th><th>").Append(N(invoice.Total)).Append("</th></tr></table>")
            .Append("<p>Status: ").Append(invoice.Status.ToString().ToLowerInvariant()).Append("</p></body></html>");
        return html.ToString();
    }
}
