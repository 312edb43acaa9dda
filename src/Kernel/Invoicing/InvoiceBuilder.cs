using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Invoicing;

/// <summary>Builds an invoice from product lines in one step: prices from the catalogue, discounts, taxes, totals in decimal.</summary>
internal static class InvoiceBuilder
{
    /// <summary>Most lines an invoice may have.</summary>
    public const int MaxLines = 200;

    /// <summary>Computes a line: net = quantity × price × (1 − discount), tax = net × rate, each rounded half away from zero to cents.</summary>
    public static InvoiceLine Line(Product product, decimal quantity, decimal discountPercent)
    {
        var net = Math.Round(quantity * product.Price.Amount * (100m - discountPercent) / 100m, 2, MidpointRounding.AwayFromZero);
        var tax = Math.Round(net * product.TaxRate, 2, MidpointRounding.AwayFromZero);
        return new InvoiceLine(product.Id, product.Name, quantity, product.Price.Amount, discountPercent, product.TaxRate, net, tax, net + tax);
    }

    /// <summary>Validates the lines, prices them and records the invoice in the unit.</summary>
    /// <exception cref="CrmValidationException">No lines, too many, an unknown product, a bad quantity or discount, or mixed currencies; every problem with its path.</exception>
    public static async ValueTask<Invoice> BuildAsync(UnitOfWork unit, Deal deal, IReadOnlyList<InvoiceLineRequest>? lines, Cause cause, CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        if (lines is null || lines.Count == 0)
        {
            throw new CrmValidationException("lines", "an invoice needs at least one product line.");
        }

        if (lines.Count > MaxLines)
        {
            throw new CrmValidationException("lines", $"an invoice has at most {MaxLines} lines; got {lines.Count}.");
        }

        var priced = new List<InvoiceLine>(lines.Count);
        string? currency = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var path = $"lines[{i}]";
            if (line is null || string.IsNullOrWhiteSpace(line.Product))
            {
                errors.Add(new(path + ".product", "name a product."));
                continue;
            }

            if (line.Quantity is <= 0m or > 1_000_000m)
            {
                errors.Add(new(path + ".quantity", $"must be more than 0 and at most 1,000,000; got {line.Quantity}."));
            }

            if (line.DiscountPercent is < 0m or > 100m)
            {
                errors.Add(new(path + ".discountPercent", $"must be from 0 to 100; got {line.DiscountPercent}."));
            }

            var product = await unit.FindAsync(Kinds.Product, line.Product, cancellationToken).ConfigureAwait(false);
            if (product is null)
            {
                errors.Add(new(path + ".product", $"unknown product '{line.Product}'; define it in the catalogue first."));
                continue;
            }

            currency ??= product.Price.Currency;
            if (product.Price.Currency != currency)
            {
                errors.Add(new(path + ".product", $"'{product.Id}' is priced in {product.Price.Currency}, the invoice in {currency}; one invoice has one currency."));
                continue;
            }

            if (errors.Count == 0)
            {
                priced.Add(Line(product, line.Quantity, line.DiscountPercent));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var id = Guid.NewGuid().ToString("N");
        var net = priced.Sum(l => l.Net);
        var tax = priced.Sum(l => l.Tax);
        return (Invoice)(await unit.RecordAsync(new InvoiceCreated(id, deal.Id, deal.Client, currency!, priced, net, tax, net + tax), cause, cancellationToken).ConfigureAwait(false))!;
    }
}
