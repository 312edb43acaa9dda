using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Invoicing;

/// <summary>A product of the catalogue.</summary>
public sealed record Product
{
    /// <summary>The product id.</summary>
    public required string Id { get; init; }
    /// <summary>The name printed on invoices.</summary>
    public required string Name { get; init; }
    /// <summary>The unit price.</summary>
    public required Money Price { get; init; }
    /// <summary>The tax rate in [0, 1], e.g. 0.25.</summary>
    public decimal TaxRate { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>Where an invoice stands.</summary>
public enum InvoiceStatus
{
    /// <summary>Built, not sent.</summary>
    Draft = 0,
    /// <summary>Issued to the client.</summary>
    Issued = 1,
    /// <summary>Paid: a sale.</summary>
    Paid = 2,
    /// <summary>Cancelled.</summary>
    Cancelled = 3,
}

/// <summary>An invoice for a deal, built from product lines; amounts in one currency, rounded to cents.</summary>
public sealed record Invoice
{
    /// <summary>The invoice id.</summary>
    public required InvoiceId Id { get; init; }
    /// <summary>The number printed on it, once issued.</summary>
    public string? Number { get; init; }
    /// <summary>The deal.</summary>
    public required DealId Deal { get; init; }
    /// <summary>The client.</summary>
    public required ClientId Client { get; init; }
    /// <summary>The currency of every amount.</summary>
    public required string Currency { get; init; }
    /// <summary>The lines.</summary>
    public IReadOnlyList<InvoiceLine> Lines { get; init; } = [];
    /// <summary>Sum of the lines' net amounts.</summary>
    public decimal Net { get; init; }
    /// <summary>Sum of the lines' taxes.</summary>
    public decimal Tax { get; init; }
    /// <summary>Net plus tax.</summary>
    public decimal Total { get; init; }
    /// <summary>Draft, issued, paid or cancelled.</summary>
    public InvoiceStatus Status { get; init; }
    /// <summary>When it was built.</summary>
    public Instant CreatedAt { get; init; }
    /// <summary>When it was paid.</summary>
    public Instant? PaidAt { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>One product line to invoice.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Quantity">How many; more than zero.</param>
/// <param name="DiscountPercent">Discount in percent, 0 to 100.</param>
public sealed record InvoiceLineRequest(string Product, decimal Quantity, decimal DiscountPercent = 0m);
