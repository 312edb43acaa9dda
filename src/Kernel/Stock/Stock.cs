using System.Globalization;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Stock;

/// <summary>A warehouse of the tenant.</summary>
/// <param name="Id">The warehouse id.</param>
/// <param name="Name">Its name.</param>
public sealed record Warehouse(string Id, string Name);

/// <summary>The stock of one product at one warehouse.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="OnHand">Units physically there: receipts − write-offs + returns ± transfers.</param>
/// <param name="Reserved">Units reserved by issued invoices not yet paid or cancelled.</param>
public sealed record StockLevel(string Product, string Warehouse, decimal OnHand, decimal Reserved)
{
    /// <summary>On hand minus reserved: what can still be sold; negative only after a backorder the tenant allowed.</summary>
    public decimal Available => OnHand - Reserved;
}

/// <summary>
/// A reservation or a write-off asked for more units than the warehouse has available and the tenant does not allow
/// backorders. Nothing was changed (an invoice that needed the units was not issued).
/// </summary>
public sealed class InsufficientStockException : CrmException
{
    /// <summary>Creates the exception naming the product, the warehouse and both quantities.</summary>
    public InsufficientStockException(string product, string warehouse, decimal requested, decimal available)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Not enough stock of product '{product}' at warehouse '{warehouse}': requested {requested}, available {available}. Nothing was changed; receive or transfer stock first, lower the quantity, or let the tenant allow backorders (session.Configuration.DefineStockPolicyAsync)."))
    {
        Product = product;
        Warehouse = warehouse;
        Requested = requested;
        Available = available;
    }

    /// <summary>The product id.</summary>
    public string Product { get; }
    /// <summary>The warehouse id.</summary>
    public string Warehouse { get; }
    /// <summary>The quantity asked for.</summary>
    public decimal Requested { get; }
    /// <summary>The quantity that was available.</summary>
    public decimal Available { get; }
}

/// <summary>A stored warehouse.</summary>
internal sealed record StoredWarehouse
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public Instant DefinedAt { get; init; }
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>The stored stock of one product at one warehouse, with the open reservations by invoice id.</summary>
internal sealed record StockRecord
{
    public required string Product { get; init; }
    public required string Warehouse { get; init; }
    public decimal OnHand { get; init; }
    public decimal Reserved { get; init; }
    public IReadOnlyDictionary<string, decimal> Reservations { get; init; } = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
    [JsonIgnore]
    public long Version { get; init; }

    /// <summary>The stream id of a product at a warehouse (warehouse ids never contain <c>|</c>).</summary>
    public static string Key(string product, string warehouse) => warehouse + "|" + product;

    public static StockRecord Empty(string product, string warehouse) => new() { Product = product, Warehouse = warehouse };

    public StockLevel ToLevel() => new(Product, Warehouse, OnHand, Reserved);

    public StockRecord WithReservation(string invoice, decimal delta)
    {
        var reservations = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var pair in Reservations)
        {
            reservations[pair.Key] = pair.Value;
        }

        var now = reservations.GetValueOrDefault(invoice) + delta;
        if (now == 0m)
        {
            reservations.Remove(invoice);
        }
        else
        {
            reservations[invoice] = now;
        }

        return this with { Reserved = Reserved + delta, Reservations = reservations };
    }
}

/// <summary>The tenant's stock policy (setting kind <c>stock-policy</c>).</summary>
internal static class StockPolicyJson
{
    internal sealed record Document(bool AllowBackorders, string? DefaultWarehouse);

    public static Document Default { get; } = new(false, null);

    public static string Write(Document document) => Storage.CrmJson.Serialize(document);

    public static Document Read(string json) => Storage.CrmJson.Deserialize<Document>(json);
}

/// <summary>A deal line with the stock available for it at the tenant's default warehouse.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Quantity">The line's quantity.</param>
/// <param name="Warehouse">The default warehouse (the stock policy's, else the first defined); null when there is none.</param>
/// <param name="Available">On hand minus reserved there (0 when the product has no stock record there).</param>
public sealed record DealLineStock(string Product, decimal Quantity, string? Warehouse, decimal Available);

/// <summary>One product at one warehouse in the stock report over a period.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Warehouse">The warehouse id.</param>
/// <param name="WrittenOff">Units written off in the period (invoices paid and by hand).</param>
/// <param name="PerDay">Movement speed: units written off per day of the period.</param>
/// <param name="Available">Available now (on hand minus reserved).</param>
/// <param name="DaysOfCover">Available now divided by the speed; null when nothing moved.</param>
/// <param name="AverageOnHand">Time-weighted average of units on hand over the period.</param>
/// <param name="Turnover">Units written off divided by the average on hand; null when the average is 0.</param>
/// <param name="ReorderPoint">The reorder point there, if one is set.</param>
/// <param name="BelowReorderPoint">Whether available is now below the reorder point.</param>
public sealed record StockReportRow(string Product, string Warehouse, decimal WrittenOff, decimal PerDay, decimal Available, decimal? DaysOfCover,
    decimal AverageOnHand, decimal? Turnover, decimal? ReorderPoint, bool BelowReorderPoint);
