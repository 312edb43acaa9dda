using Crm.Abstractions;

namespace Crm.Kernel.Reports;

/// <summary>What an ABC analysis of products ranks them by.</summary>
public enum ProductAbcMeasure
{
    /// <summary>Net revenue (before tax) of the product's lines on paid invoices.</summary>
    Revenue = 0,
    /// <summary>Units sold on paid invoices.</summary>
    Quantity = 1,
}

/// <summary>One product's ABC class.</summary>
/// <param name="Product">The product id.</param>
/// <param name="Name">The product's name as printed on its invoice lines.</param>
/// <param name="Value">Its net revenue or units sold, by the report's measure.</param>
/// <param name="ShareBefore">The cumulative share of the products ranked before it.</param>
/// <param name="Class">A, B or C.</param>
public sealed record ProductAbcItem(string Product, string Name, decimal Value, decimal ShareBefore, char Class);

/// <summary>ABC analysis of products by revenue or quantity, from the paid invoices in one currency.</summary>
/// <param name="Measure">What the products are ranked by.</param>
/// <param name="Currency">The currency of the paid invoices counted.</param>
/// <param name="Products">The products, highest value first (ties by product id).</param>
/// <param name="A">How many are in class A.</param>
/// <param name="B">How many are in class B.</param>
/// <param name="C">How many are in class C.</param>
public sealed record ProductAbcReport(ProductAbcMeasure Measure, string Currency, IReadOnlyList<ProductAbcItem> Products, int A, int B, int C);

/// <summary>The ABC classification of products, by the same rule as clients' default (<see cref="AbcBoundary.CrossingClientInUpperClass"/>).</summary>
internal static class ProductAbc
{
    /// <summary>One sold line: product, name, net revenue, units.</summary>
    public readonly record struct Sold(string Product, string Name, decimal Net, decimal Quantity);

    /// <summary>
    /// Sums the lines per product, ranks by the measure (highest first, ties by product id) and classes each product by
    /// the cumulative share of those ranked before it: below <paramref name="a"/> A, below a + b B, else C. Products
    /// with a value of zero are left out.
    /// </summary>
    /// <exception cref="CrmValidationException">The shares are out of range, or the measure is not a defined value.</exception>
    public static ProductAbcReport Classify(IEnumerable<Sold> lines, ProductAbcMeasure measure, string currency, decimal a, decimal b)
    {
        if (a is <= 0m or >= 1m || b < 0m || a + b > 1m)
        {
            throw new CrmValidationException("thresholds", $"A and B shares must be in (0, 1) with A + B ≤ 1; got {a} and {b}.");
        }

        if (measure is not (ProductAbcMeasure.Revenue or ProductAbcMeasure.Quantity))
        {
            throw new CrmValidationException("measure", $"must be Revenue or Quantity; got {(int)measure}.");
        }

        var values = new Dictionary<string, (string Name, decimal Value)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var add = measure == ProductAbcMeasure.Revenue ? line.Net : line.Quantity;
            values[line.Product] = values.TryGetValue(line.Product, out var v) ? (v.Name, v.Value + add) : (line.Name, add);
        }

        var ranked = values.Where(x => x.Value.Value > 0m)
            .OrderByDescending(x => x.Value.Value).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();
        var total = ranked.Sum(x => x.Value.Value);
        var items = new List<ProductAbcItem>(ranked.Count);
        decimal before = 0m;
        int countA = 0, countB = 0, countC = 0;
        foreach (var (product, (name, value)) in ranked)
        {
            var share = total == 0m ? 0m : before / total;
            var cls = share < a ? 'A' : share < a + b ? 'B' : 'C';
            _ = cls switch { 'A' => countA++, 'B' => countB++, _ => countC++ };
            items.Add(new ProductAbcItem(product, name, value, share, cls));
            before += value;
        }

        return new ProductAbcReport(measure, currency, items, countA, countB, countC);
    }
}
