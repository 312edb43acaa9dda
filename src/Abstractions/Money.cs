using System.Globalization;
using System.Text.Json.Serialization;

namespace Crm.Abstractions;

/// <summary>
/// An amount of money: a <see cref="decimal"/> and an ISO 4217 currency code. Amounts in different
/// currencies are never added together: arithmetic across currencies throws <see cref="CurrencyMismatchException"/>.
/// The kernel's API accepts amounts of at most 10^15 in absolute value with at most 4 decimals (deal amounts, prices,
/// invoice lines; see <c>docs/input-limits.md</c>), so that sums of many of them stay within <see cref="decimal"/>'s range.
/// </summary>
/// <example><code>var total = Money.Of(1200m, "USD") + Money.Of(300m, "USD"); // USD 1,500.00</code></example>
public readonly record struct Money
{
    /// <summary>Creates an amount in a currency.</summary>
    /// <param name="amount">The amount; may be negative (a refund or a discount).</param>
    /// <param name="currency">Three upper-case letters (ISO 4217), e.g. <c>USD</c>.</param>
    /// <exception cref="ArgumentException">The currency is not three upper-case ASCII letters.</exception>
    [JsonConstructor]
    public Money(decimal amount, string currency)
    {
        Amount = amount;
        Currency = RequireCurrency(currency);
    }

    /// <summary>The amount.</summary>
    public decimal Amount { get; }

    /// <summary>The ISO 4217 currency code, e.g. <c>USD</c>.</summary>
    public string Currency { get; }

    /// <summary>Creates an amount in a currency; see the constructor.</summary>
    public static Money Of(decimal amount, string currency) => new(amount, currency);

    /// <summary>Zero in the given currency.</summary>
    public static Money Zero(string currency) => new(0m, currency);

    /// <summary>Adds two amounts of the same currency.</summary>
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public static Money operator +(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(left.Amount + right.Amount, left.Currency);
    }

    /// <summary>Subtracts two amounts of the same currency.</summary>
    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public static Money operator -(Money left, Money right)
    {
        EnsureSameCurrency(left, right);
        return new Money(left.Amount - right.Amount, left.Currency);
    }

    /// <summary>Multiplies an amount by a factor (a quantity, a probability).</summary>
    public static Money operator *(Money money, decimal factor) => new(money.Amount * factor, money.Currency);

    /// <summary>Checks that a currency code is three upper-case ASCII letters.</summary>
    /// <returns>The code, unchanged.</returns>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static string RequireCurrency(string? currency)
    {
        if (currency is not { Length: 3 } || !currency.All(c => c is >= 'A' and <= 'Z'))
        {
            throw new ArgumentException(
                $"A currency is an ISO 4217 code of three upper-case letters such as 'USD' or 'EUR'; got '{currency}'.",
                nameof(currency));
        }

        return currency;
    }

    private static void EnsureSameCurrency(Money left, Money right)
    {
        if (!string.Equals(left.Currency, right.Currency, StringComparison.Ordinal))
        {
            throw new CurrencyMismatchException(left.Currency, right.Currency);
        }
    }

    /// <summary>Formats as <c>USD 1200.00</c> in the invariant culture.</summary>
    public override string ToString() => $"{Currency} {Amount.ToString("0.00##", CultureInfo.InvariantCulture)}";
}
