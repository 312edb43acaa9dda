using System.Globalization;
using System.Text;
using NodaTime;

namespace Crm.Fuzz.Tests;

/// <summary>
/// Hostile and careless input from one seed: control characters, NUL, right-to-left marks, emoji, lone surrogates,
/// megabyte strings, huge and oddly scaled numbers, instants at the ends of time.
/// </summary>
internal sealed class HostileInput(int seed)
{
    private static readonly string[] Pieces =
    [
        "Nora", "Fjord AS", "Ål", "ß", "İ", "ﬀ", "Ω", "中文", "العربية", "עברית", "e\u0301", "😀", "👩‍👩‍👧", "\uDBFF\uDFFF",
        " ", "  ", "\t", "\n", "\r\n", "\0", "\u0001", "\u001F", "\u007F", "\u0085", "\u00A0", "\u2028", "\u200B", "\u200E", "\u200F",
        "\u202A", "\u202E", "\u2066", "\u2069", "\uFEFF", "\uFFFD", "\uFFFF", "\uD800", "\uDC00", "\uDBFF",
        "@", "example.com", "a@b.c", "'", "\"", "\\", "<script>", "%00", "%s", "${x}", "{{x}}", "0", "-1", "1e309", "NaN",
        "79228162514264337593543950336", "null", "true", "[]", "{}", "..", "/", "#", "?", ",", ";", ":", "+47", "915", "00", "22 33 44 55",
    ];

    public Random Random { get; } = new(seed);

    /// <summary>A text: mostly pieces glued together, sometimes random code units, long or megabyte strings, blanks.</summary>
    public string Text()
    {
        var roll = Random.Next(100);
        return roll switch
        {
            < 1 => Repeat(Pieces[Random.Next(Pieces.Length)], 1_000_001),
            < 4 => Repeat(Pieces[Random.Next(Pieces.Length)], Random.Next(90, 12_000)),
            < 8 => Random.Next(4) switch { 0 => "", 1 => " ", 2 => "\t\n", _ => "\u00A0" },
            < 16 => RandomUnits(Random.Next(1, 40)),
            < 40 => Pick("Nora", "Fjord AS", "Kari Nordmann", "status", "budget", "Oslo", "Retail", "Vestland"),
            _ => Glue(Random.Next(1, 6)),
        };
    }

    /// <summary>A text that is null now and then.</summary>
    public string? MaybeText() => Random.Next(5) == 0 ? null : Text();

    /// <summary>A phone number: plausible ones, plausible ones with hostile pieces inside, and plain hostile text.</summary>
    public string Phone()
    {
        var roll = Random.Next(10);
        var digits = new string(Enumerable.Range(0, Random.Next(1, 14)).Select(_ => (char)('0' + Random.Next(10))).ToArray());
        return roll switch
        {
            < 3 => "+47 9" + digits,
            < 4 => digits,
            < 6 => ("+47 " + digits).Insert(Random.Next(4), Pieces[Random.Next(Pieces.Length)]),
            < 7 => "+" + Repeat("9", Random.Next(15, 300)),
            < 8 => Pick("+47 22 33 44 55", "0047 91555555", "22334455", "+1 (555) 010-0199", "+44 20 7946 0958", "tel:+4722334455", "+47 22 33 44 55 ext. 12"),
            _ => Text(),
        };
    }

    /// <summary>An e-mail address or something like one.</summary>
    public string Email() => Random.Next(3) switch
    {
        0 => $"buyer{Random.Next(1000)}@shop.no",
        1 => Glue(2) + "@" + Glue(1) + ".no",
        _ => Text(),
    };

    /// <summary>An amount: ordinary, at the limits, beyond them, oddly scaled, or random bits.</summary>
    public decimal Amount() => Random.Next(12) switch
    {
        0 => decimal.MaxValue,
        1 => decimal.MinValue,
        2 => 1_000_000_000_000_000m,
        3 => 1_000_000_000_000_000.0001m,
        4 => 0.00001m,
        5 => -1m,
        6 => 0m,
        7 => 1e23m,
        8 => new decimal(Random.Next(), Random.Next(), Random.Next(), Random.Next(2) == 0, (byte)Random.Next(29)),
        _ => Math.Round((decimal)Random.NextDouble() * 10_000m, Random.Next(0, 6)),
    };

    /// <summary>An instant: near now, at the ends of NodaTime's range, at 9999-12-31, or anywhere.</summary>
    public Instant Instant(Instant now) => Random.Next(10) switch
    {
        0 => NodaTime.Instant.MinValue,
        1 => NodaTime.Instant.MaxValue,
        2 => NodaTime.Instant.FromUtc(9999, 12, 31, 23, 59),
        3 => NodaTime.Instant.FromUtc(1, 1, 1, 0, 0),
        4 => NodaTime.Instant.FromUnixTimeTicks((long)(Random.NextDouble() * 2 * 2_000_000_000_000_000_000L) - 2_000_000_000_000_000_000L),
        _ => now + Duration.FromMinutes(Random.Next(-100_000, 100_000)),
    };

    public T Pick<T>(params T[] items) => items[Random.Next(items.Length)];

    public bool Chance(int percent) => Random.Next(100) < percent;

    private string Glue(int count)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            builder.Append(Pieces[Random.Next(Pieces.Length)]);
        }

        return builder.ToString();
    }

    private string RandomUnits(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)Random.Next(0, 0x10000);
        }

        return new string(chars);
    }

    private static string Repeat(string piece, int length)
    {
        var builder = new StringBuilder(length + piece.Length);
        while (builder.Length < length)
        {
            builder.Append(piece);
        }

        return builder.ToString();
    }

    /// <summary>A number as JSON text, often one no .NET number type holds.</summary>
    public string JsonNumber() => Random.Next(8) switch
    {
        0 => "1e400",
        1 => "-1e400",
        2 => "79228162514264337593543950336",
        3 => "0.000000000000000000000000000001",
        4 => "1" + new string('0', Random.Next(20, 400)),
        5 => "-0",
        6 => Amount().ToString(CultureInfo.InvariantCulture),
        _ => Random.Next(-5, 1_000_001).ToString(CultureInfo.InvariantCulture),
    };
}
