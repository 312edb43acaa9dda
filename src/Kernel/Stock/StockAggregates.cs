using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Stock;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Stock's kinds: warehouses and the stock of a product at a warehouse.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<StoredWarehouse> Warehouse = new("warehouse", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<StockRecord> Stock = new("stock", (s, v) => s with { Version = v },
            s => [new IndexEntry("product", s.Product)]);

        public static readonly AggregateKind<StoredReorderPoint> ReorderPoint = new("reorder-point", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<StoredPurchaseOrder> PurchaseOrder = new("purchase-order", (s, v) => s with { Version = v },
            s => [new IndexEntry("product", s.Product)]);
    }
}

namespace Crm.Kernel.Stock
{
    /// <summary>The streams of warehouses and stock and how every movement changes them.</summary>
    internal sealed class StockAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Warehouse)
                .On<WarehouseDefined>(e => e.Warehouse, (s, e, in ctx) => s is null
                    ? new StoredWarehouse { Id = e.Warehouse, Name = e.Name, DefinedAt = ctx.OccurredAt }
                    : s with { Name = e.Name });

            registry.Stream(Kinds.Stock)
                .On<StockReceived>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    (s ?? StockRecord.Empty(e.Product, e.Warehouse)) with { OnHand = (s?.OnHand ?? 0m) + e.Quantity })
                .On<StockReturned>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    (s ?? StockRecord.Empty(e.Product, e.Warehouse)) with { OnHand = (s?.OnHand ?? 0m) + e.Quantity })
                .On<StockTransferredIn>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    (s ?? StockRecord.Empty(e.Product, e.Warehouse)) with { OnHand = (s?.OnHand ?? 0m) + e.Quantity })
                .On<StockReserved>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    (s ?? StockRecord.Empty(e.Product, e.Warehouse)).WithReservation(e.Invoice.Value, e.Quantity))
                .OnExisting<StockReleased>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    s.WithReservation(e.Invoice.Value, -e.Quantity))
                .OnExisting<StockWrittenOff>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    (e.Invoice is { } invoice ? s.WithReservation(invoice.Value, -e.Quantity) : s) with { OnHand = s.OnHand - e.Quantity })
                .OnExisting<StockTransferredOut>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) =>
                    s with { OnHand = s.OnHand - e.Quantity });

            registry.Stream(Kinds.ReorderPoint)
                .On<ReorderPointDefined>(e => StockRecord.Key(e.Product, e.Warehouse), (s, e, in ctx) => new StoredReorderPoint
                {
                    Product = e.Product, Warehouse = e.Warehouse, Point = e.Point, OrderQuantity = e.OrderQuantity, Supplier = e.Supplier, Purchaser = e.Purchaser,
                });

            registry.Stream(Kinds.PurchaseOrder)
                .On<PurchaseOrderPlaced>(e => e.Order, (s, e, in ctx) => new StoredPurchaseOrder
                {
                    Id = e.Order, Product = e.Product, Warehouse = e.Warehouse, Quantity = e.Quantity, Supplier = e.Supplier, PlacedAt = ctx.OccurredAt,
                })
                .OnExisting<PurchaseOrderReceived>(e => e.Order, (s, e, in ctx) => s with { Received = true });
        }
    }
}
