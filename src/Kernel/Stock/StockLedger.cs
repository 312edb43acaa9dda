using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Configuration;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Stock;

/// <summary>
/// The invoice hooks: issuing reserves an invoice's stock-tracked lines at the tenant's default warehouse, paying writes
/// the reservation off, cancelling releases it — recorded in the invoice's own unit of work. A product is stock-tracked
/// once it has stock records (any receipt, return or transfer at any warehouse); other lines (services) are skipped.
/// </summary>
internal static class StockLedger
{
    /// <summary>The tenant's stock policy: the one it defined, else no backorders and the first defined warehouse.</summary>
    public static async ValueTask<StockPolicyJson.Document> PolicyAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var settings = await TenantConfiguration.SettingsAsync(unit, cancellationToken).ConfigureAwait(false);
        return settings?.Find(SettingKinds.StockPolicy, SettingKinds.Default) is { } stored ? StockPolicyJson.Read(stored.Json) : StockPolicyJson.Default;
    }

    /// <summary>Every warehouse, first defined first (ties by id).</summary>
    public static async ValueTask<List<StoredWarehouse>> WarehousesAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        var result = new List<StoredWarehouse>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Warehouse.Name, null, cancellationToken).ConfigureAwait(false))
        {
            result.Add((StoredWarehouse)Kinds.Warehouse.Read(document));
        }

        return [.. result.OrderBy(w => w.DefinedAt).ThenBy(w => w.Id, StringComparer.Ordinal)];
    }

    /// <summary>The stock records of a product at every warehouse, by warehouse id.</summary>
    public static async ValueTask<List<StockRecord>> RecordsOfAsync(UnitOfWork unit, string product, CancellationToken cancellationToken)
    {
        var result = new List<StockRecord>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Stock.Name, new IndexEntry("product", product), cancellationToken).ConfigureAwait(false))
        {
            result.Add((StockRecord)Kinds.Stock.Read(document));
        }

        return [.. result.OrderBy(r => r.Warehouse, StringComparer.Ordinal)];
    }

    /// <summary>Reserves the stock-tracked lines of an invoice being issued.</summary>
    /// <exception cref="InsufficientStockException">A line needs more than is available and the tenant does not allow backorders.</exception>
    public static async ValueTask ReserveAsync(UnitOfWork unit, Invoice invoice, CancellationToken cancellationToken)
    {
        var policy = await PolicyAsync(unit, cancellationToken).ConfigureAwait(false);
        string? warehouse = policy.DefaultWarehouse;
        foreach (var line in invoice.Lines.GroupBy(l => l.Product, StringComparer.Ordinal).Select(g => (Product: g.Key, Quantity: g.Sum(l => l.Quantity))))
        {
            if ((await RecordsOfAsync(unit, line.Product, cancellationToken).ConfigureAwait(false)).Count == 0)
            {
                continue;
            }

            warehouse ??= (await WarehousesAsync(unit, cancellationToken).ConfigureAwait(false)).FirstOrDefault()?.Id;
            if (warehouse is null)
            {
                continue;
            }

            var record = await unit.FindAsync(Kinds.Stock, StockRecord.Key(line.Product, warehouse), cancellationToken).ConfigureAwait(false);
            var available = record is null ? 0m : record.OnHand - record.Reserved;
            var backorder = line.Quantity > available;
            if (backorder && !policy.AllowBackorders)
            {
                throw new InsufficientStockException(line.Product, warehouse, line.Quantity, available);
            }

            await unit.RecordAsync(new StockReserved(line.Product, warehouse, line.Quantity, invoice.Id, backorder), Cause.Manual, cancellationToken).ConfigureAwait(false);
            await PurchasingLedger.AfterDrawAsync(unit, line.Product, warehouse, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes off (on payment) or releases (on cancellation) what an invoice reserved.</summary>
    public static async ValueTask SettleAsync(UnitOfWork unit, Invoice invoice, bool paid, CancellationToken cancellationToken)
    {
        foreach (var product in invoice.Lines.Select(l => l.Product).Distinct(StringComparer.Ordinal))
        {
            foreach (var record in await RecordsOfAsync(unit, product, cancellationToken).ConfigureAwait(false))
            {
                var tracked = await unit.FindAsync(Kinds.Stock, StockRecord.Key(record.Product, record.Warehouse), cancellationToken).ConfigureAwait(false);
                if (tracked?.Reservations.GetValueOrDefault(invoice.Id.Value) is not { } quantity || quantity == 0m)
                {
                    continue;
                }

                DomainEvent change = paid
                    ? new StockWrittenOff(product, record.Warehouse, quantity, invoice.Id, null)
                    : new StockReleased(product, record.Warehouse, quantity, invoice.Id);
                await unit.RecordAsync(change, Cause.Manual, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
