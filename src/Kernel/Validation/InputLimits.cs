using System.Globalization;
using System.Text;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Validation;

/// <summary>
/// The lengths every text the kernel accepts at its API may have, in UTF-16 code units; one place, documented in
/// <c>docs/input-limits.md</c>. Every text is also checked for what a store cannot keep (unpaired surrogates, NUL).
/// </summary>
internal static class TextLimits
{
    /// <summary>Ids chosen by the caller (products, orders, calls) and short names (fields, classifiers, signals).</summary>
    public const int Key = 100;
    /// <summary>Names of clients, contacts, products and buyers.</summary>
    public const int Name = 300;
    /// <summary>City, region, industry, source and other one-line attributes.</summary>
    public const int Attribute = 200;
    /// <summary>Titles and subjects (deals, tasks, activities).</summary>
    public const int Title = 500;
    /// <summary>Values of custom fields and classifiers, order comments, reasons.</summary>
    public const int Value = 4000;
    /// <summary>Free texts: an activity's body, a process variable's value.</summary>
    public const int FreeText = 10_000;
    /// <summary>A phone number as typed.</summary>
    public const int Phone = 64;
    /// <summary>An e-mail address (RFC 5321).</summary>
    public const int Email = 254;
    /// <summary>A webhook secret.</summary>
    public const int Secret = 512;
}

/// <summary>
/// The one validator for input at the kernel's API: texts (valid UTF-16, no NUL, a length limit, one line where a
/// single line is meant), money amounts, quantities and instants. Each check adds a <see cref="ValidationError"/>
/// naming the field, or throws <see cref="CrmValidationException"/> in the throwing variants.
/// </summary>
internal static class InputRules
{
    /// <summary>The largest absolute amount of money accepted: 10^15 (a quadrillion) in any currency.</summary>
    public const decimal MaxAmount = 1_000_000_000_000_000m;
    /// <summary><see cref="MaxAmount"/> as written in messages.</summary>
    public const string MaxAmountText = "1,000,000,000,000,000";
    /// <summary>The most decimals an amount or a quantity may have.</summary>
    public const int MaxDecimals = 4;
    /// <summary>The largest quantity on an invoice line.</summary>
    public const decimal MaxQuantity = 1_000_000m;

    /// <summary>The earliest instant accepted (1900-01-01T00:00Z).</summary>
    public static readonly NodaTime.Instant EarliestInstant = Instant.FromUtc(1900, 1, 1, 0, 0);
    /// <summary>The first instant no longer accepted (2200-01-01T00:00Z).</summary>
    public static readonly NodaTime.Instant InstantLimit = Instant.FromUtc(2200, 1, 1, 0, 0);
    /// <summary>The earliest date accepted.</summary>
    public static readonly LocalDate EarliestDate = new(1900, 1, 1);
    /// <summary>The first date no longer accepted.</summary>
    public static readonly LocalDate DateLimit = new(2200, 1, 1);

    /// <summary>Checks a text; null and empty pass unless <paramref name="required"/> (then blank fails too).</summary>
    /// <param name="errors">Where a broken rule goes.</param>
    /// <param name="field">The field's name in the error.</param>
    /// <param name="value">The text.</param>
    /// <param name="max">Its length limit (a <see cref="TextLimits"/> constant).</param>
    /// <param name="required">True: null, empty or white space is an error.</param>
    /// <param name="singleLine">True: control characters (line breaks, tabs…) are an error.</param>
    /// <returns>True when the text passed.</returns>
    public static bool Text(List<ValidationError> errors, string field, string? value, int max, bool required = false, bool singleLine = false)
    {
        if (Problem(value, max, required, singleLine) is { } problem)
        {
            errors.Add(new ValidationError(field, problem));
            return false;
        }

        return true;
    }

    /// <summary>Checks a text as <see cref="Text(List{ValidationError}, string, string?, int, bool, bool)"/> does.</summary>
    /// <exception cref="CrmValidationException">It broke a rule; the field is named.</exception>
    public static void RequireText(string field, string? value, int max, bool required = false, bool singleLine = false)
    {
        if (Problem(value, max, required, singleLine) is { } problem)
        {
            throw new CrmValidationException(field, problem);
        }
    }

    /// <summary>Checks every name and value of a dictionary of texts (custom fields, process variables).</summary>
    public static void Texts(List<ValidationError> errors, string field, IEnumerable<KeyValuePair<string, string>>? values, int maxName, int maxValue)
    {
        if (values is null)
        {
            return;
        }

        foreach (var (name, value) in values)
        {
            if (Text(errors, field, name, maxName, required: true, singleLine: true))
            {
                Text(errors, $"{field}.{name}", value, maxValue);
            }
        }
    }

    /// <summary>
    /// The position of the first character <paramref name="value"/> may not hold: an unpaired surrogate (not valid UTF-16),
    /// or a control character that <paramref name="control"/> refuses; -1 when there is none. The one scanner for every
    /// text the kernel accepts (API input, rule and template JSON, CSV cells); each caller words its own message.
    /// </summary>
    internal static int InvalidCharacterAt(string value, ControlCharacters control)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return i;
            }

            var refused = control switch
            {
                ControlCharacters.Refused => char.IsControl(c),
                ControlCharacters.LineBreaksAndTabsAllowed => char.IsControl(c) && c is not ('\n' or '\r' or '\t'),
                _ => c == '\0',
            };
            if (refused)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Why a text is refused, or null when it is accepted.</summary>
    public static string? Problem(string? value, int max, bool required = false, bool singleLine = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? $"is required (1 to {max} characters)." : null;
        }

        if (value.Length > max)
        {
            return $"is at most {max} characters; got {value.Length}.";
        }

        var at = InvalidCharacterAt(value, singleLine ? ControlCharacters.Refused : ControlCharacters.OnlyNulRefused);
        if (at >= 0)
        {
            var c = value[at];
            return char.IsSurrogate(c)
                ? $"holds an unpaired surrogate (U+{(int)c:X4}) at position {at}: it is not valid UTF-16 text and a store cannot keep it."
                : c == '\0'
                    ? $"holds a NUL character at position {at}; a store cannot keep it."
                    : $"is one line of text; it holds the control character U+{(int)c:X4} at position {at}.";
        }

        return null;
    }

    /// <summary>Checks an amount of money: |amount| at most <see cref="MaxAmount"/>, at most <see cref="MaxDecimals"/> decimals.</summary>
    /// <param name="errors">Where a broken rule goes.</param>
    /// <param name="field">The field's name in the error.</param>
    /// <param name="amount">The amount.</param>
    /// <param name="allowNegative">False: a negative amount is an error too.</param>
    public static bool Amount(List<ValidationError> errors, string field, decimal amount, bool allowNegative = false)
    {
        if (AmountProblem(amount, allowNegative) is { } problem)
        {
            errors.Add(new ValidationError(field, problem));
            return false;
        }

        return true;
    }

    /// <summary>Why an amount is refused, or null.</summary>
    public static string? AmountProblem(decimal amount, bool allowNegative = false)
    {
        if (!allowNegative && amount < 0m)
        {
            return $"must be zero or more; got {Show(amount)}.";
        }

        if (Math.Abs(amount) > MaxAmount)
        {
            return $"is at most {MaxAmountText} in absolute value; got {Show(amount)}.";
        }

        if (decimal.Round(amount, MaxDecimals) != amount)
        {
            return $"has at most {MaxDecimals} decimals; got {Show(amount)}.";
        }

        return null;
    }

    /// <summary>Checks an instant: from <see cref="EarliestInstant"/> (inclusive) to <see cref="InstantLimit"/> (exclusive).</summary>
    public static bool InstantInRange(List<ValidationError> errors, string field, Instant? value)
    {
        if (value is { } v && (v < EarliestInstant || v >= InstantLimit))
        {
            errors.Add(new ValidationError(field, $"must be from {EarliestInstant} up to (not including) {InstantLimit}; got {v}."));
            return false;
        }

        return true;
    }

    /// <summary>Checks an instant as <see cref="InstantInRange(List{ValidationError}, string, NodaTime.Instant?)"/> does.</summary>
    /// <exception cref="CrmValidationException">It is out of range.</exception>
    public static void RequireInstant(string field, Instant? value)
    {
        var errors = new List<ValidationError>(0);
        if (!InstantInRange(errors, field, value))
        {
            throw new CrmValidationException(errors);
        }
    }

    /// <summary>Checks a date: from <see cref="EarliestDate"/> (inclusive) to <see cref="DateLimit"/> (exclusive).</summary>
    public static bool Date(List<ValidationError> errors, string field, LocalDate? value)
    {
        if (value is { } v && (v < EarliestDate || v >= DateLimit))
        {
            errors.Add(new ValidationError(field, $"must be from {EarliestDate:uuuu-MM-dd} up to (not including) {DateLimit:uuuu-MM-dd}; got {v:uuuu-MM-dd}."));
            return false;
        }

        return true;
    }

    /// <summary>Checks that an enum value is one of its defined members.</summary>
    public static bool Defined<TEnum>(List<ValidationError> errors, string field, TEnum value)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add(new ValidationError(field, $"'{value}' is not one of {string.Join(", ", Enum.GetNames<TEnum>())}."));
            return false;
        }

        return true;
    }

    /// <summary>
    /// A text made safe to quote in a message: at most 60 characters, control characters and unpaired surrogates
    /// written as <c>\uXXXX</c>, so that an error about a hostile input is itself valid, short text.
    /// </summary>
    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        const int Shown = 60;
        var builder = new StringBuilder(Math.Min(value.Length, Shown) + 8);
        for (var i = 0; i < value.Length && i < Shown; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]) && i + 1 < Shown)
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (value.Length > Shown)
        {
            builder.Append("…(").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }

    private static string Show(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Which control characters a text may hold (see <see cref="InputRules.InvalidCharacterAt"/>).</summary>
internal enum ControlCharacters
{
    /// <summary>None: one line of text.</summary>
    Refused,

    /// <summary>Line breaks and tabs only: a multi-line text in a definition.</summary>
    LineBreaksAndTabsAllowed,

    /// <summary>All but NUL, which a store cannot keep.</summary>
    OnlyNulRefused,
}
