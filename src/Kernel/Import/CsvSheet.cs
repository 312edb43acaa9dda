using System.Globalization;
using System.Text;
using Crm.Abstractions;
using Crm.Kernel.Validation;
using CsvHelper;
using NodaTime;
using NodaTime.Text;

namespace Crm.Kernel.Import;

/// <summary>
/// The cells of one row of an import file, read and checked one by one: each bad cell adds a problem naming the file,
/// line, column and what was expected, and marks the row bad. Nothing here throws for bad input.
/// </summary>
internal sealed class CsvSheet(string file, CsvReader csv, Dictionary<string, int> columns, List<CsvImportProblem> problems)
{
    private static readonly OffsetDateTimePattern[] WithOffset =
    [
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss;FFFFFFFFFo<G>"),
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mmo<G>"),
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm:ss;FFFFFFFFFo<G>"),
        OffsetDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mmo<G>"),
    ];

    private static readonly LocalDateTimePattern[] Local =
    [
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss;FFFFFFFFF"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm:ss;FFFFFFFFF"),
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu-MM-dd HH:mm"),
    ];

    public string File => file;

    public int Line { get; private set; }

    public bool Bad { get; private set; }

    public void Begin(int line)
    {
        Line = line;
        Bad = false;
    }

    public void Fail(string? column, string message)
    {
        problems.Add(new CsvImportProblem(file, Line, column, message));
        Bad = true;
    }

    /// <summary>The cell without surrounding spaces; null when it is empty or the file has no such column.</summary>
    private string? Raw(string column)
    {
        if (!columns.TryGetValue(column, out var index) || index >= csv.FieldCount)
        {
            return null;
        }

        var value = csv.GetString(index).Trim(' ');
        return value.Length == 0 ? null : value;
    }

    /// <summary>A text cell of at most <paramref name="max"/> characters, without control characters or broken UTF-16.</summary>
    public string? Text(string column, int max, bool required, string expected)
    {
        var value = Raw(column);
        if (value is null)
        {
            if (required)
            {
                Fail(column, $"is empty; expected {expected}.");
            }

            return null;
        }

        if (value.Length > max)
        {
            Fail(column, $"{CsvCells.Show(value)} is {value.Length} characters long; at most {max} are accepted.");
            return null;
        }

        if (CsvCells.FindInvalid(value) is { } invalid)
        {
            Fail(column, $"{CsvCells.Show(value)} contains {invalid}; expected {expected}.");
            return null;
        }

        return value;
    }

    /// <summary>
    /// An id cell: 1 to 128 characters; each space becomes '_' (kernel ids have no white space), any other white space
    /// or control character is refused.
    /// </summary>
    public string? Id(string column)
    {
        var value = Text(column, CsvCells.MaxIdLength, required: true, "an id of 1 to 128 characters");
        if (value is null)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (c != ' ' && char.IsWhiteSpace(c))
            {
                Fail(column, $"{CsvCells.Show(value)} contains the white space character U+{(int)c:X4}; an id may contain letters, digits, signs and plain spaces.");
                return null;
            }
        }

        return value.Replace(' ', '_');
    }

    /// <summary>A team name (1 to 128 characters, plain spaces only) and the team id made of it (lower case, '-' for spaces).</summary>
    public (TeamId Id, string Name)? Team(string column)
    {
        var value = Text(column, CsvCells.MaxIdLength, required: true, "a team name of 1 to 128 characters");
        if (value is null)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (c != ' ' && char.IsWhiteSpace(c))
            {
                Fail(column, $"{CsvCells.Show(value)} contains the white space character U+{(int)c:X4}; a team name may contain letters, digits, signs and plain spaces.");
                return null;
            }
        }

        return (new TeamId(value.ToLowerInvariant().Replace(' ', '-')), value);
    }

    /// <summary>One of <paramref name="choices"/>, in any case; <paramref name="empty"/> when the cell is empty.</summary>
    public string? Choice(string column, string[] choices, string empty)
    {
        var before = problems.Count;
        var value = Text(column, 64, required: false, string.Join(" or ", choices));
        if (value is null)
        {
            return problems.Count == before ? empty : null;
        }

        foreach (var choice in choices)
        {
            if (string.Equals(choice, value, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        Fail(column, $"{CsvCells.Show(value)} is not {string.Join(" or ", choices.Select(c => $"'{c}'"))} (any case; empty means '{empty}').");
        return null;
    }

    /// <summary>An amount from 0 to <see cref="SalesCsvImport.MaxAmount"/>, digits with a '.' decimal point.</summary>
    public decimal? Amount(string column)
    {
        const string Expected = "a number from 0 to 1000000000000 written with digits and a '.' decimal point, such as 1234.56 (no thousands separator)";
        var before = problems.Count;
        var value = Text(column, 100, required: false, Expected);
        if (value is null)
        {
            if (problems.Count == before)
            {
                Fail(column, $"'' is not a number; expected {Expected}.");
            }

            return null;
        }

        if (!decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            Fail(column, CsvCells.IsPlainNumber(value)
                ? $"{CsvCells.Show(value)} is more than the largest amount accepted ({SalesCsvImport.MaxAmount:0})."
                : $"{CsvCells.Show(value)} is not a number; expected {Expected}.");
            return null;
        }

        if (amount < 0m || amount > SalesCsvImport.MaxAmount)
        {
            Fail(column, $"{CsvCells.Show(value)} is out of range; expected {Expected}.");
            return null;
        }

        return amount;
    }

    /// <summary>A currency code, three letters in any case (ISO 4217).</summary>
    public string? Currency(string column)
    {
        var value = Text(column, 3, required: true, "a three-letter ISO 4217 currency code such as USD");
        if (value is null)
        {
            return null;
        }

        var code = value.ToUpperInvariant();
        if (code.Length != 3 || !code.All(c => c is >= 'A' and <= 'Z'))
        {
            Fail(column, $"{CsvCells.Show(value)} is not a three-letter ISO 4217 currency code such as USD.");
            return null;
        }

        return code;
    }

    /// <summary>A calendar date written <c>2016-10-20</c>.</summary>
    public LocalDate? Date(string column)
    {
        var value = Text(column, 64, required: true, "a date written 2016-10-20");
        if (value is null)
        {
            return null;
        }

        var result = LocalDatePattern.Iso.Parse(value);
        if (!result.Success)
        {
            Fail(column, $"{CsvCells.Show(value)} is not a date written 2016-10-20 (year-month-day).");
            return null;
        }

        return result.Value;
    }

    /// <summary>
    /// An instant: <c>2016-10-20T09:00:00Z</c>, with an offset (<c>+02:00</c>), or local (<c>2016-10-20T09:00</c>,
    /// <c>2016-10-20</c> for the start of the day) in <paramref name="zone"/>; a space may stand for the 'T'.
    /// </summary>
    public Instant? Instant(string column, DateTimeZone zone, bool required)
    {
        const string Expected = "a date and time such as 2016-10-20T09:00:00Z, 2016-10-20T09:00+02:00, 2016-10-20T09:00 or 2016-10-20";
        var value = Text(column, 64, required, Expected);
        if (value is null)
        {
            return null;
        }

        foreach (var pattern in WithOffset)
        {
            if (pattern.Parse(value) is { Success: true } parsed)
            {
                return parsed.Value.ToInstant();
            }
        }

        foreach (var pattern in Local)
        {
            if (pattern.Parse(value) is { Success: true } parsed)
            {
                return parsed.Value.InZoneLeniently(zone).ToInstant();
            }
        }

        if (LocalDatePattern.Iso.Parse(value) is { Success: true } date)
        {
            return zone.AtStartOfDay(date.Value).ToInstant();
        }

        Fail(column, $"{CsvCells.Show(value)} is not {Expected} (local times are read in {zone.Id}).");
        return null;
    }

    /// <summary>
    /// A stage of <paramref name="pipeline"/>: its id exactly, else its id or its name in any case (when one stage
    /// matches), always stored as the pipeline's own id.
    /// </summary>
    public StageDefinition? Stage(string column, PipelineDefinition pipeline)
    {
        var value = Text(column, 200, required: true, "a stage of the pipeline");
        if (value is null)
        {
            return null;
        }

        var exact = pipeline.Stages.Where(s => string.Equals(s.Id.Value, value, StringComparison.Ordinal)).ToArray();
        var matches = exact.Length == 1 ? exact : pipeline.Stages.Where(s => string.Equals(s.Id.Value, value, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (matches.Length == 0)
        {
            matches = pipeline.Stages.Where(s => string.Equals(s.Name?.Trim(), value, StringComparison.OrdinalIgnoreCase)).ToArray();
        }

        if (matches.Length != 1)
        {
            Fail(column, $"{CsvCells.Show(value)} is {(matches.Length == 0 ? "not" : "more than one")} stage of pipeline '{pipeline.Id}'; its stages are {string.Join(", ", pipeline.Stages.Select(s => s.Id))} (ids or names, any case).");
            return null;
        }

        return matches[0];
    }
}

/// <summary>Checks and shows cell text.</summary>
internal static class CsvCells
{
    public const int MaxIdLength = 128;

    /// <summary>The longest record read (1 MiB): a longer one (an unclosed quote, a hostile file) stops the import.</summary>
    public const int MaxRecordBytes = 1 << 20;

    /// <summary>What makes the text unusable (a control character, a lone surrogate), or null when it is fine.</summary>
    public static string? FindInvalid(string value)
    {
        var at = InputRules.InvalidCharacterAt(value, ControlCharacters.Refused);
        if (at >= 0)
        {
            var c = value[at];
            return char.IsSurrogate(c)
                ? $"a broken character (lone surrogate U+{(int)c:X4}) at position {at + 1}"
                : $"the control character U+{(int)c:X4} at position {at + 1}";
        }

        return null;
    }

    /// <summary>Digits with at most one '.', and an optional leading sign: a number, too large if it does not parse.</summary>
    public static bool IsPlainNumber(string value)
    {
        var start = value.Length > 0 && value[0] is '-' or '+' ? 1 : 0;
        var digits = 0;
        var points = 0;
        for (var i = start; i < value.Length; i++)
        {
            if (char.IsAsciiDigit(value[i]))
            {
                digits++;
            }
            else if (value[i] == '.' && points++ == 0)
            {
                continue;
            }
            else
            {
                return false;
            }
        }

        return digits > 0;
    }

    /// <summary>The value quoted for a message: control characters as \uXXXX, cut after <paramref name="max"/> characters.</summary>
    public static string Show(string value, int max = 60)
    {
        var text = new StringBuilder("'");
        for (var i = 0; i < value.Length && i < max; i++)
        {
            var c = value[i];
            if (char.IsControl(c) || char.IsSurrogate(c) || c == '\u00A0')
            {
                text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        text.Append(value.Length > max ? "…'" : "'");
        return text.ToString();
    }
}
