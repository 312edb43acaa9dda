using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Invoicing's kinds: products and invoices.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Product> Product = new("product", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<Invoice> Invoice = new("invoice", (s, v) => s with { Version = v },
            s => [new IndexEntry("deal", s.Deal.Value), new IndexEntry("status", s.Status.ToString())]);
    }
}

namespace Crm.Kernel.Invoicing
{
    /// <summary>The streams of products and invoices and how their events change them.</summary>
    internal sealed class InvoicingAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Product)
                .On<ProductDefined>(e => e.Product, (s, e, in ctx) => new Product { Id = e.Product, Name = e.Name, Price = e.Price, TaxRate = e.TaxRate });

            registry.Stream(Kinds.Invoice)
                .On<InvoiceCreated>(e => e.Invoice.Value, (s, e, in ctx) => new Invoice
                {
                    Id = e.Invoice, Deal = e.Deal, Client = e.Client, Currency = e.Currency, Lines = e.Lines, Net = e.Net, Tax = e.Tax, Total = e.Total,
                    CreatedAt = ctx.OccurredAt,
                })
                .OnExisting<InvoiceIssued>(e => e.Invoice.Value, (s, e, in ctx) => s with { Number = e.Number, Status = InvoiceStatus.Issued })
                .OnExisting<InvoicePaid>(e => e.Invoice.Value, (s, e, in ctx) => s with { Status = InvoiceStatus.Paid, PaidAt = ctx.OccurredAt })
                .OnExisting<InvoiceCancelled>(e => e.Invoice.Value, (s, e, in ctx) => s with { Status = InvoiceStatus.Cancelled });
        }
    }
}
