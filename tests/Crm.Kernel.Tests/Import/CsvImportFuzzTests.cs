using System.Text;
using Crm.Kernel.Import;
using FsCheck.Xunit;

namespace Crm.Kernel.Tests.Import;

/// <summary>
/// Issue 17 §2 (CSV import): malformed exports — random cells with control characters, huge numbers, bad dates,
/// missing columns, broken quoting, lost rows — are rejected with <see cref="CsvImportException"/> and change nothing,
/// or (skipping bad rows) import what is good and list the rest. Before the fix, 311 rejected fuzzed imports of a few
/// thousand left users, clients or deals behind, and some threw OverflowException or ArgumentException.
/// </summary>
public sealed class CsvImportFuzzTests
{
    private static readonly string[] Nasty =
    [
        "", " ", "\t", "\0", "\u00A0", "\r", "\n", "\"", "a,b", "x\"y", "\u0001\u001F", "\u200B", "\uD800", "\uDC00x", "😀",
        "99999999999999999999999999999999", "79228162514264337593543950335", "-1", "-0.00", "1e9", "NaN", "1,5", "1 000",
        "0.0000000000000000000000000001", "1000000000000.01", "+5",
        "2016-13-45", "2016-02-30T25:61", "9999-12-31T23:59:59Z", "0001-01-01", "-2016-10-20", "2016-10-20T09:00+25:00",
        "2016-10-20T09:00:00.1234567891Z", "yesterday", "20.10.2016", "2016-10-20T09",
        "Won", "LOST", "lead", "head", "HEAD", "admin", "person", "Company", "U1", "H1", "C1", "C2", "D1", "D 1",
        "North team", "south TEAM", "Europe/Nowhere", "usd", "US$", "EURO", "+4740007919", "not-an-email", "a@fjord.no",
    ];

    [Property(MaxTest = 150)]
    public bool Issue17_malformed_csv_is_rejected_with_nothing_written_or_skipped_and_listed(int seed, string[] generated, bool skipBadRows) =>
        RunAsync(seed, generated ?? [], skipBadRows).GetAwaiter().GetResult();

    private static async Task<bool> RunAsync(int seed, string[] generated, bool skipBadRows)
    {
        var folder = Directory.CreateTempSubdirectory("crm-import-fuzz-").FullName;
        try
        {
            await using var k = await CsvImportFiles.KernelAsync();
            var files = new CsvImportFiles();
            var random = new Random(seed);
            var sheets = new[] { files.Sellers, files.Clients, files.Deals, files.History, files.Targets! };
            var mutations = 1 + random.Next(4);
            for (var m = 0; m < mutations; m++)
            {
                Mutate(sheets[random.Next(sheets.Length)], random, generated);
            }

            files.WriteTo(folder);
            var before = await CsvImportFiles.StateAsync(k);
            try
            {
                var result = await CsvImportFiles.ImportAsync(k, folder, skipBadRows);
                return skipBadRows || result.Problems.Count == 0;
            }
            catch (CsvImportException e) when (e.GetType() == typeof(CsvImportException))
            {
                // Rejected: nothing written, and every problem says where it is.
                return e.Problems.Count > 0
                    && e.Problems.All(p => p.File.EndsWith(".csv", StringComparison.Ordinal) && p.Line >= 0 && p.Message.Length > 0)
                    && before == await CsvImportFiles.StateAsync(k);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Mutate(List<string> sheet, Random random, string[] generated)
    {
        var line = random.Next(sheet.Count);
        var cells = sheet[line].Split(',').ToList();
        string Junk()
        {
            if (generated.Length > 0 && random.Next(3) == 0)
            {
                return generated[random.Next(generated.Length)] ?? "";
            }

            var junk = Nasty[random.Next(Nasty.Length)];
            return random.Next(8) == 0 ? string.Concat(Enumerable.Repeat(junk, 200)) : junk;
        }

        switch (random.Next(7))
        {
            case 0 when line == 0:
            case 1 when line == 0:
                // A header without one of its columns, or with a column renamed.
                var column = random.Next(cells.Count);
                if (random.Next(2) == 0)
                {
                    cells.RemoveAt(column);
                }
                else
                {
                    cells[column] = Junk();
                }

                sheet[line] = string.Join(',', cells);
                break;
            case 2:
                sheet.RemoveAt(line == 0 && sheet.Count > 1 ? 1 : line);
                break;
            case 3:
                sheet.Add(string.Join(',', Enumerable.Range(0, random.Next(1, 12)).Select(_ => Quote(Junk(), random))));
                break;
            case 4:
                // A row cut short or with extra cells.
                sheet[line] = string.Join(',', random.Next(2) == 0 ? cells.Take(random.Next(cells.Count)) : cells.Append(Junk()));
                break;
            default:
                cells[random.Next(cells.Count)] = Quote(Junk(), random);
                sheet[line] = string.Join(',', cells);
                break;
        }
    }

    /// <summary>Mostly a well-quoted cell; sometimes the text raw, so that it can break the CSV itself.</summary>
    private static string Quote(string text, Random random) =>
        random.Next(4) == 0 ? text : new StringBuilder("\"").Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"').ToString();
}
