using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Stock;

/// <summary>
/// Warehouses and the stock of products in them. Every movement is journaled. Administrators define warehouses and log
/// receipts, transfers, returns and write-offs by hand; everyone in the tenant (sellers too) reads the stock.
/// Reservations come from invoices: issuing reserves, paying writes off, cancelling releases.
/// </summary>
public sealed class SessionStock
{
    private readonly CrmSession _session;

    internal SessionStock(CrmSession session) => _session = session;

    /// <summary>Defines (or renames) a warehouse. The first warehouse defined is the default for reservations unless the tenant's stock policy names another.</summary>
    /// <exception cref="CrmValidationException">The id is not 1 to 100 characters on one line or contains <c>|</c>, or the name is not 1 to 300 characters on one line.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<Warehouse> DefineWarehouseAsync(string id, string name, CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        if (InputRules.Text(errors, "id", id, TextLimits.Key, required: true, singleLine: true) && (string.IsNullOrWhiteSpace(id) || id.Contains('|', StringComparison.Ordinal)))
        {
            errors.Add(new("id", $"a warehouse id of 1 to 100 characters without '|' is required; got {InputRules.Quote(id)}."));
        }

        InputRules.Text(errors, "name", name, TextLimits.Name, required: true, singleLine: true);
        if (errors.Count == 0 && string.IsNullOrWhiteSpace(name))
        {
            errors.Add(new("name", "a warehouse name of 1 to 300 characters is required."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define warehouses");
        await unit.RecordAsync(new WarehouseDefined(id.Trim(), name.Trim()), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        var stored = unit.Result(Kinds.Warehouse, id.Trim());
        return new Warehouse(stored.Id, stored.Name);
    }

    /// <summary>The tenant's warehouses, first defined first.</summary>
    public async Task<IReadOnlyList<Warehouse>> ListWarehousesAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return [.. (await StockLedger.WarehousesAsync(unit, cancellationToken).ConfigureAwait(false)).Select(w => new Warehouse(w.Id, w.Name))];
    }

    /// <summary>The stock of a product at every warehouse that has a record of it (on hand, reserved, available), by warehouse id.</summary>
    /// <exception cref="EntityNotFoundException">The product is not in the catalogue.</exception>
    public async Task<IReadOnlyList<StockLevel>> GetAsync(string product, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("product", product, TextLimits.Key, required: true, singleLine: true);
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        _ = await unit.GetAsync(Kinds.Product, product, cancellationToken).ConfigureAwait(false);
        return [.. (await StockLedger.RecordsOfAsync(unit, product, cancellationToken).ConfigureAwait(false)).Select(r => r.ToLevel())];
    }

    /// <summary>Logs goods of a product arriving at a warehouse: on hand grows.</summary>
    /// <exception cref="CrmValidationException">The quantity is not more than 0 and at most 1,000,000 with at most 4 decimals.</exception>
    /// <exception cref="EntityNotFoundException">The product or the warehouse does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public Task<StockLevel> LogReceiptAsync(string product, string warehouse, decimal quantity, CancellationToken cancellationToken = default) =>
        MoveAsync(product, warehouse, null, quantity, null, "log stock receipts", false, () => new StockReceived(product, warehouse, quantity), cancellationToken);

    /// <summary>Logs units a client returned to a warehouse: on hand grows.</summary>
    /// <exception cref="CrmValidationException">A bad quantity (see <see cref="LogReceiptAsync"/>) or no reason (1 to 4,000 characters).</exception>
    /// <exception cref="EntityNotFoundException">The product or the warehouse does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public Task<StockLevel> LogReturnAsync(string product, string warehouse, decimal quantity, string reason, CancellationToken cancellationToken = default) =>
        MoveAsync(product, warehouse, null, quantity, reason, "log stock returns", true, () => new StockReturned(product, warehouse, quantity, reason!.Trim()), cancellationToken);

    /// <summary>Logs units written off by hand (damaged, lost): on hand shrinks. Never more than is available (on hand minus reserved).</summary>
    /// <exception cref="CrmValidationException">A bad quantity (see <see cref="LogReceiptAsync"/>) or no reason (1 to 4,000 characters).</exception>
    /// <exception cref="InsufficientStockException">The quantity is more than is available there.</exception>
    /// <exception cref="EntityNotFoundException">The product or the warehouse does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public Task<StockLevel> LogWriteOffAsync(string product, string warehouse, decimal quantity, string reason, CancellationToken cancellationToken = default) =>
        MoveAsync(product, warehouse, null, quantity, reason, "write off stock", true, () => new StockWrittenOff(product, warehouse, quantity, null, reason!.Trim()), cancellationToken);

    /// <summary>Logs units moved from one warehouse to another: on hand shrinks there and grows here. Never more than is available at the source. Returns the source's stock.</summary>
    /// <exception cref="CrmValidationException">A bad quantity (see <see cref="LogReceiptAsync"/>), or both warehouses are the same.</exception>
    /// <exception cref="InsufficientStockException">The quantity is more than is available at the source.</exception>
    /// <exception cref="EntityNotFoundException">The product or a warehouse does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public Task<StockLevel> LogTransferAsync(string product, string from, string to, decimal quantity, CancellationToken cancellationToken = default) =>
        MoveAsync(product, from, to, quantity, null, "transfer stock", false, () => new StockTransferredOut(product, from, to, quantity), cancellationToken);

    /// <summary>Sets the reorder point of a product at a warehouse: when a reservation, write-off or transfer takes available stock below <paramref name="point"/>, a purchase order for <paramref name="orderQuantity"/> units is placed with <paramref name="supplier"/> and <paramref name="purchaser"/> gets a task — one open order per product and warehouse at a time.</summary>
    /// <exception cref="CrmValidationException">The point is negative or above 1,000,000, the order quantity is not more than 0 and at most 1,000,000, or the supplier's card is not of kind <see cref="ClientKind.Supplier"/>.</exception>
    /// <exception cref="EntityNotFoundException">The product, the warehouse or the supplier's client card does not exist.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task DefineReorderPointAsync(string product, string warehouse, decimal point, decimal orderQuantity, ClientId supplier, UserId purchaser, CancellationToken cancellationToken = default)
    {
        var errors = new List<ValidationError>();
        InputRules.Text(errors, "product", product, TextLimits.Key, required: true, singleLine: true);
        InputRules.Text(errors, "warehouse", warehouse, TextLimits.Key, required: true, singleLine: true);
        if (point is < 0m or > InputRules.MaxQuantity)
        {
            errors.Add(new("point", $"must be 0 to 1,000,000; got {point}."));
        }

        if (orderQuantity is <= 0m or > InputRules.MaxQuantity)
        {
            errors.Add(new("orderQuantity", $"must be more than 0 and at most 1,000,000; got {orderQuantity}."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define reorder points");
        _ = await unit.GetAsync(Kinds.Product, product, cancellationToken).ConfigureAwait(false);
        _ = await unit.GetAsync(Kinds.Warehouse, warehouse, cancellationToken).ConfigureAwait(false);
        var card = await unit.GetAsync(Kinds.Client, supplier.Value, cancellationToken).ConfigureAwait(false);
        if (card.Kind != ClientKind.Supplier)
        {
            throw new CrmValidationException([new ValidationError("supplier", $"client '{supplier.Value}' is a {card.Kind}; register the supplier as a client of kind Supplier.")]);
        }

        await unit.RecordAsync(new ReorderPointDefined(product, warehouse, point, orderQuantity, supplier, purchaser), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The purchase orders of a product (open and received), first placed first.</summary>
    /// <exception cref="EntityNotFoundException">The product is not in the catalogue.</exception>
    public async Task<IReadOnlyList<PurchaseOrder>> ListPurchaseOrdersAsync(string product, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("product", product, TextLimits.Key, required: true, singleLine: true);
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        _ = await unit.GetAsync(Kinds.Product, product, cancellationToken).ConfigureAwait(false);
        return [.. (await PurchasingLedger.OrdersAsync(unit, product, cancellationToken).ConfigureAwait(false)).Select(o => o.ToPublic())];
    }

    /// <summary>Receives a purchase order: its quantity is logged as a receipt at its warehouse and the order is closed.</summary>
    /// <exception cref="EntityNotFoundException">No purchase order has this id.</exception>
    /// <exception cref="CrmValidationException">The order was already received.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<StockLevel> ReceivePurchaseOrderAsync(string order, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("order", order, TextLimits.Key, required: true, singleLine: true);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("receive purchase orders");
        var stored = await unit.GetAsync(Kinds.PurchaseOrder, order, cancellationToken).ConfigureAwait(false);
        if (stored.Received)
        {
            throw new CrmValidationException([new ValidationError("order", $"purchase order '{order}' was already received.")]);
        }

        await unit.RecordAsync(new PurchaseOrderReceived(order), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new StockReceived(stored.Product, stored.Warehouse, stored.Quantity), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Stock, StockRecord.Key(stored.Product, stored.Warehouse)).ToLevel();
    }

    /// <summary>The lines of a deal the caller sees, each with the stock available at the tenant's default warehouse; an empty list when the deal has no lines.</summary>
    /// <exception cref="EntityNotFoundException">The deal does not exist or the caller does not see it.</exception>
    public async Task<IReadOnlyList<DealLineStock>> GetForDealAsync(DealId deal, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var stored = await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        if (stored is null || !actor.CanSee(stored.Owner))
        {
            throw new EntityNotFoundException("deal", deal.Value);
        }

        var policy = await StockLedger.PolicyAsync(unit, cancellationToken).ConfigureAwait(false);
        var warehouse = policy.DefaultWarehouse ?? (await StockLedger.WarehousesAsync(unit, cancellationToken).ConfigureAwait(false)).FirstOrDefault()?.Id;
        var result = new List<DealLineStock>();
        foreach (var line in stored.Lines ?? [])
        {
            var record = warehouse is null ? null : await unit.FindAsync(Kinds.Stock, StockRecord.Key(line.Product, warehouse), cancellationToken).ConfigureAwait(false);
            result.Add(new DealLineStock(line.Product, line.Quantity, warehouse, record is null ? 0m : record.OnHand - record.Reserved));
        }

        return result;
    }

    /// <summary>The stock report over [<paramref name="from"/>, <paramref name="to"/>) for every product at every warehouse with stock: movement speed (units written off per day, days of cover at that speed), turnover (units written off ÷ time-weighted average on hand) and whether available is below the reorder point.</summary>
    /// <exception cref="CrmValidationException">The period does not end after it starts.</exception>
    public async Task<IReadOnlyList<StockReportRow>> GetReportAsync(Instant from, Instant to, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new CrmValidationException([new ValidationError("to", $"the period must end after it starts; got {from} to {to}.")]);
        }

        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var onHand = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var area = new Dictionary<string, decimal>(StringComparer.Ordinal); // unit-days on hand inside the period
        var since = new Dictionary<string, Instant>(StringComparer.Ordinal);
        var writtenOff = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Accrue(string key, Instant until)
        {
            var start = since.TryGetValue(key, out var s) && s > from ? s : from;
            var end = until < to ? until : to;
            if (end > start)
            {
                area[key] = area.GetValueOrDefault(key) + (onHand.GetValueOrDefault(key) * (decimal)(end - start).TotalDays);
            }

            since[key] = until;
        }

        void Change(string key, decimal delta, Instant at)
        {
            Accrue(key, at);
            onHand[key] = onHand.GetValueOrDefault(key) + delta;
        }

        await foreach (var record in unit.Context.Store.ReadJournalAsync(unit.Tenant, 0, int.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (record.Event.StreamKind != Kinds.Stock.Name)
            {
                continue;
            }

            var entry = Journal.JournalReplay.ToEntry(unit.Context.EventTypes, record);
            if (entry.OccurredAt >= to)
            {
                continue;
            }

            var at = entry.OccurredAt;
            switch (entry.Event)
            {
                case StockReceived e: Change(StockRecord.Key(e.Product, e.Warehouse), e.Quantity, at); break;
                case StockReturned e: Change(StockRecord.Key(e.Product, e.Warehouse), e.Quantity, at); break;
                case StockTransferredIn e: Change(StockRecord.Key(e.Product, e.Warehouse), e.Quantity, at); break;
                case StockTransferredOut e: Change(StockRecord.Key(e.Product, e.Warehouse), -e.Quantity, at); break;
                case StockWrittenOff e:
                    var key = StockRecord.Key(e.Product, e.Warehouse);
                    Change(key, -e.Quantity, at);
                    if (at >= from)
                    {
                        writtenOff[key] = writtenOff.GetValueOrDefault(key) + e.Quantity;
                    }

                    break;
            }
        }

        var days = (decimal)(to - from).TotalDays;
        var rows = new List<StockReportRow>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Stock.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var stock = (StockRecord)Kinds.Stock.Read(document);
            var key = StockRecord.Key(stock.Product, stock.Warehouse);
            Accrue(key, to);
            var moved = writtenOff.GetValueOrDefault(key);
            var perDay = moved / days;
            var available = stock.OnHand - stock.Reserved;
            var average = area.GetValueOrDefault(key) / days;
            var point = await unit.FindAsync(Kinds.ReorderPoint, key, cancellationToken).ConfigureAwait(false);
            rows.Add(new StockReportRow(stock.Product, stock.Warehouse, moved, perDay, available, perDay == 0m ? null : available / perDay,
                average, average == 0m ? null : moved / average, point?.Point, point is not null && available < point.Point));
        }

        return [.. rows.OrderBy(r => r.Product, StringComparer.Ordinal).ThenBy(r => r.Warehouse, StringComparer.Ordinal)];
    }

    private async Task<StockLevel> MoveAsync(string product, string warehouse, string? to, decimal quantity, string? reason, string action, bool takesReason, Func<DomainEvent> change, CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        InputRules.Text(errors, "product", product, TextLimits.Key, required: true, singleLine: true);
        InputRules.Text(errors, "warehouse", warehouse, TextLimits.Key, required: true, singleLine: true);
        if (quantity is <= 0m or > InputRules.MaxQuantity)
        {
            errors.Add(new("quantity", $"must be more than 0 and at most 1,000,000; got {quantity}."));
        }
        else
        {
            InputRules.Amount(errors, "quantity", quantity);
        }

        if (to is not null)
        {
            InputRules.Text(errors, "to", to, TextLimits.Key, required: true, singleLine: true);
            if (string.Equals(to, warehouse, StringComparison.Ordinal))
            {
                errors.Add(new("to", $"a transfer goes to another warehouse; both are '{to}'."));
            }
        }

        if (takesReason && (InputRules.Text(errors, "reason", reason, TextLimits.Value, required: true) && string.IsNullOrWhiteSpace(reason)))
        {
            errors.Add(new("reason", "say why (1 to 4,000 characters)."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin(action);
        _ = await unit.GetAsync(Kinds.Product, product, cancellationToken).ConfigureAwait(false);
        _ = await unit.GetAsync(Kinds.Warehouse, warehouse, cancellationToken).ConfigureAwait(false);
        if (to is not null)
        {
            _ = await unit.GetAsync(Kinds.Warehouse, to, cancellationToken).ConfigureAwait(false);
        }

        var key = StockRecord.Key(product, warehouse);
        var record = await unit.FindAsync(Kinds.Stock, key, cancellationToken).ConfigureAwait(false);
        var e = change();
        if (e is StockWrittenOff or StockTransferredOut)
        {
            var available = record is null ? 0m : record.OnHand - record.Reserved;
            if (quantity > available)
            {
                throw new InsufficientStockException(product, warehouse, quantity, available);
            }
        }

        await unit.RecordAsync(e, Cause.Manual, cancellationToken).ConfigureAwait(false);
        if (to is not null)
        {
            await unit.RecordAsync(new StockTransferredIn(product, to, warehouse, quantity), Cause.Manual, cancellationToken).ConfigureAwait(false);
        }

        if (e is StockWrittenOff or StockTransferredOut)
        {
            await PurchasingLedger.AfterDrawAsync(unit, product, warehouse, cancellationToken).ConfigureAwait(false);
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Stock, key).ToLevel();
    }
}
