using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;

namespace Crm.Kernel.Deals;

/// <summary>Checks a deal's product lines and computes the amount that follows them.</summary>
internal static class DealLines
{
    /// <summary>Most lines a deal may have (as many as an invoice).</summary>
    public const int MaxLines = Invoicing.InvoiceBuilder.MaxLines;

    /// <summary>A line's net total: quantity × unit price × (1 − discount), rounded half away from zero to cents (as an invoice line's net).</summary>
    public static decimal Net(DealLine line) =>
        Math.Round(line.Quantity * line.UnitPrice.Amount * (100m - line.DiscountPercent) / 100m, 2, MidpointRounding.AwayFromZero);

    /// <summary>The sum of the lines' net totals.</summary>
    public static decimal Total(IReadOnlyList<DealLine> lines)
    {
        var total = 0m;
        foreach (var line in lines)
        {
            total += Net(line);
        }

        return total;
    }

    /// <summary>
    /// Validates the lines for a deal in <paramref name="currency"/> and returns them trimmed. Every problem is reported
    /// with its path (<c>lines[2].quantity</c>…); an unknown product throws <see cref="EntityNotFoundException"/>.
    /// </summary>
    /// <exception cref="CrmValidationException">Too many lines, a missing product id, a quantity outside (0, 1,000,000], a price below
    /// zero or beyond the amount limits, a discount outside [0, 100], a line in another currency, a line or deal total above the limit.</exception>
    /// <exception cref="EntityNotFoundException">A line names a product the catalogue does not have.</exception>
    public static async ValueTask<IReadOnlyList<DealLine>> CheckAsync(UnitOfWork unit, IReadOnlyList<DealLine>? lines, string currency, CancellationToken cancellationToken)
    {
        if (lines is null)
        {
            throw new CrmValidationException("lines", "pass the list of lines (an empty list removes them).");
        }

        if (lines.Count > MaxLines)
        {
            throw new CrmValidationException("lines", $"a deal has at most {MaxLines} lines; got {lines.Count}.");
        }

        var errors = new List<ValidationError>();
        var result = new List<DealLine>(lines.Count);
        string? unknown = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var path = $"lines[{i}]";
            if (line is null || string.IsNullOrWhiteSpace(line.Product))
            {
                errors.Add(new(path + ".product", "name a product of the catalogue."));
                continue;
            }

            if (!InputRules.Text(errors, path + ".product", line.Product, TextLimits.Key, required: true, singleLine: true))
            {
                continue;
            }

            var ok = true;
            if (line.Quantity is <= 0m or > InputRules.MaxQuantity)
            {
                errors.Add(new(path + ".quantity", $"must be more than 0 and at most 1,000,000; got {line.Quantity}."));
                ok = false;
            }
            else
            {
                ok &= InputRules.Amount(errors, path + ".quantity", line.Quantity);
            }

            if (line.UnitPrice.Currency is null || line.UnitPrice.Amount < 0m)
            {
                errors.Add(new(path + ".unitPrice", $"a unit price of zero or more with a currency is required; got {line.UnitPrice}."));
                ok = false;
            }
            else if (line.UnitPrice.Currency != currency)
            {
                errors.Add(new(path + ".unitPrice", $"is in {line.UnitPrice.Currency}, the deal in {currency}; a deal's lines are in the deal's currency."));
                ok = false;
            }
            else
            {
                ok &= InputRules.Amount(errors, path + ".unitPrice", line.UnitPrice.Amount);
            }

            if (line.DiscountPercent is < 0m or > 100m)
            {
                errors.Add(new(path + ".discountPercent", $"must be from 0 to 100; got {line.DiscountPercent}."));
                ok = false;
            }

            var product = line.Product.Trim();
            if (await unit.FindAsync(Kinds.Product, product, cancellationToken).ConfigureAwait(false) is null)
            {
                unknown ??= product;
                continue;
            }

            var trimmed = line with { Product = product };
            if (ok && Math.Abs(line.Quantity * line.UnitPrice.Amount) > InputRules.MaxAmount)
            {
                errors.Add(new(path, $"the line total (quantity {line.Quantity} × unit price {line.UnitPrice.Amount}) is above the limit of {InputRules.MaxAmountText}; split the order or check the quantity."));
                continue;
            }

            result.Add(trimmed);
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        if (unknown is not null)
        {
            throw new EntityNotFoundException("product", unknown);
        }

        if (Math.Abs(Total(result)) > InputRules.MaxAmount)
        {
            throw new CrmValidationException("lines", $"the deal's total {Total(result)} {currency} is above the limit of {InputRules.MaxAmountText}; split it into several deals.");
        }

        return result;
    }
}
