using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;

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
    /// <exception cref="CrmValidationException">No lines, too many, an unknown product, a bad quantity or discount, mixed currencies, or an
    /// amount beyond the limits (a price, a line total or the invoice total above 10^15); every problem with its path.</exception>
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

            if (!InputRules.Text(errors, path + ".product", line.Product, TextLimits.Key, required: true, singleLine: true))
            {
                continue;
            }

            if (line.Quantity is <= 0m or > InputRules.MaxQuantity)
            {
                errors.Add(new(path + ".quantity", $"must be more than 0 and at most 1,000,000; got {line.Quantity}."));
            }
            else
            {
                InputRules.Amount(errors, path + ".quantity", line.Quantity);
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

            // A product stored before prices were bounded may still carry a price no line can be computed from.
            if (InputRules.AmountProblem(product.Price.Amount) is { } priceProblem)
            {
                errors.Add(new(path + ".product", $"'{product.Id}' has a price that cannot be invoiced: it {priceProblem} Define the product again with a price within the limit."));
                continue;
            }

            if (errors.Count == 0)
            {
                var priced1 = Line(product, line.Quantity, line.DiscountPercent);
                if (Math.Abs(priced1.Total) > InputRules.MaxAmount)
                {
                    errors.Add(new(path, $"the line total {priced1.Total} {currency} (quantity {line.Quantity} × price {product.Price.Amount}) is above the limit of {InputRules.MaxAmountText}; split the order or check the quantity."));
                    continue;
                }

                priced.Add(priced1);
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var id = Guid.NewGuid().ToString("N");
        var net = priced.Sum(l => l.Net);
        var tax = priced.Sum(l => l.Tax);
        if (Math.Abs(net + tax) > InputRules.MaxAmount)
        {
            throw new CrmValidationException("lines", $"the invoice total {net + tax} {currency} is above the limit of {InputRules.MaxAmountText}; split it into several invoices.");
        }

        return (Invoice)(await unit.RecordAsync(new InvoiceCreated(new InvoiceId(id), deal.Id, deal.Client, currency!, priced, net, tax, net + tax), cause, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Records a draft invoice with one line per deal line: the deal's unit price, quantity and discount, the product's
    /// name and tax rate from the catalogue; each line's net equals the deal line's net.
    /// </summary>
    /// <exception cref="CrmValidationException">The deal has no lines, or a line's product is no longer in the catalogue.</exception>
    public static async ValueTask<Invoice> BuildFromDealAsync(UnitOfWork unit, Deal deal, Cause cause, CancellationToken cancellationToken)
    {
        if (deal.Lines is not { Count: > 0 } lines || deal.Amount.Currency is not { } currency)
        {
            throw new CrmValidationException("lines", $"deal '{deal.Id}' has no product lines; set them with Deals.SetLinesAsync, or pass lines to Invoices.CreateAsync.");
        }

        var priced = new List<InvoiceLine>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var product = await unit.FindAsync(Kinds.Product, line.Product, cancellationToken).ConfigureAwait(false)
                ?? throw new CrmValidationException($"lines[{i}].product", $"product '{line.Product}' is no longer in the catalogue; define it again or change the deal's lines.");
            var net = DealLines.Net(line);
            var tax = Math.Round(net * product.TaxRate, 2, MidpointRounding.AwayFromZero);
            priced.Add(new InvoiceLine(product.Id, product.Name, line.Quantity, line.UnitPrice.Amount, line.DiscountPercent, product.TaxRate, net, tax, net + tax));
        }

        var totalNet = priced.Sum(l => l.Net);
        var totalTax = priced.Sum(l => l.Tax);
        if (Math.Abs(totalNet + totalTax) > InputRules.MaxAmount)
        {
            throw new CrmValidationException("lines", $"the invoice total {totalNet + totalTax} {currency} is above the limit of {InputRules.MaxAmountText}; split the deal's lines.");
        }

        var id = new InvoiceId(Guid.NewGuid().ToString("N"));
        return (Invoice)(await unit.RecordAsync(new InvoiceCreated(id, deal.Id, deal.Client, currency, priced, totalNet, totalTax, totalNet + totalTax), cause, cancellationToken).ConfigureAwait(false))!;
    }
}
