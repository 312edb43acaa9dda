using System.Globalization;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Stock;

/// <summary>A purchase order placed with a product's supplier when available stock fell below its reorder point.</summary>
/// <param name="Id">The order id.</param>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse the goods go to.</param>
/// <param name="Quantity">Units ordered.</param>
/// <param name="Supplier">The supplier's client card.</param>
/// <param name="Received">Whether the goods arrived (the order is closed).</param>
public sealed record PurchaseOrder(string Id, string Product, string Warehouse, decimal Quantity, ClientId Supplier, bool Received);

/// <summary>A stored reorder point of a product at a warehouse.</summary>
internal sealed record StoredReorderPoint
{
    public required string Product { get; init; }
    public required string Warehouse { get; init; }
    public decimal Point { get; init; }
    public decimal OrderQuantity { get; init; }
    public required ClientId Supplier { get; init; }
    public required UserId Purchaser { get; init; }
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A stored purchase order.</summary>
internal sealed record StoredPurchaseOrder
{
    public required string Id { get; init; }
    public required string Product { get; init; }
    public required string Warehouse { get; init; }
    public decimal Quantity { get; init; }
    public required ClientId Supplier { get; init; }
    public bool Received { get; init; }
    public Instant PlacedAt { get; init; }
    [JsonIgnore]
    public long Version { get; init; }

    public PurchaseOrder ToPublic() => new(Id, Product, Warehouse, Quantity, Supplier, Received);
}

/// <summary>Places a purchase order (and a task for the purchaser) when a movement takes available stock below a reorder point.</summary>
internal static class PurchasingLedger
{
    /// <summary>The open purchase orders of a product at a warehouse.</summary>
    public static async ValueTask<List<StoredPurchaseOrder>> OrdersAsync(UnitOfWork unit, string product, CancellationToken cancellationToken)
    {
        var result = new List<StoredPurchaseOrder>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.PurchaseOrder.Name, new IndexEntry("product", product), cancellationToken).ConfigureAwait(false))
        {
            result.Add((StoredPurchaseOrder)Kinds.PurchaseOrder.Read(document));
        }

        return [.. result.OrderBy(o => o.PlacedAt).ThenBy(o => o.Id, StringComparer.Ordinal)];
    }

    /// <summary>Called after a movement that lowers available stock: places an order if available is below the point and no order is open.</summary>
    public static async ValueTask AfterDrawAsync(UnitOfWork unit, string product, string warehouse, CancellationToken cancellationToken)
    {
        var key = StockRecord.Key(product, warehouse);
        if (await unit.FindAsync(Kinds.ReorderPoint, key, cancellationToken).ConfigureAwait(false) is not { } point)
        {
            return;
        }

        var record = await unit.FindAsync(Kinds.Stock, key, cancellationToken).ConfigureAwait(false);
        var available = record is null ? 0m : record.OnHand - record.Reserved;
        if (available >= point.Point)
        {
            return;
        }

        if ((await OrdersAsync(unit, product, cancellationToken).ConfigureAwait(false)).Any(o => !o.Received && o.Warehouse == warehouse))
        {
            return;
        }

        var id = "po-" + Guid.NewGuid().ToString("N");
        await unit.RecordAsync(new PurchaseOrderPlaced(id, product, warehouse, point.OrderQuantity, point.Supplier), Cause.Manual, cancellationToken).ConfigureAwait(false);
        var title = string.Create(CultureInfo.InvariantCulture, $"Purchase order {id}: {point.OrderQuantity} of '{product}' for warehouse '{warehouse}' (available {available}, reorder point {point.Point})");
        await unit.RecordAsync(new WorkTaskCreated(WorkTaskId.New(), title, point.Purchaser, unit.Now.Plus(Duration.FromDays(1)), null, point.Supplier), Cause.Manual, cancellationToken).ConfigureAwait(false);
    }
}
