using System.Text;
using Crm.Abstractions;

namespace Crm.Kernel.Import;

/// <summary>One problem an import found: where it is (file, line, column) and what is wrong with what was expected.</summary>
/// <param name="File">The file, e.g. <c>deals.csv</c>.</param>
/// <param name="Line">The 1-based line of the file (the header is line 1); 0 when the problem is about the file as a whole.</param>
/// <param name="Column">The column, or null when the problem is about the row or the file as a whole.</param>
/// <param name="Message">What is wrong and what was expected, e.g. <c>'' is not a number</c>.</param>
public sealed record CsvImportProblem(string File, int Line, string? Column, string Message)
{
    /// <summary>Where the problem is: <c>deals.csv:17</c>, or the file name alone for a problem of the whole file.</summary>
    public string Location => Line > 0 ? $"{File}:{Line}" : File;

    /// <summary>Formats as <c>deals.csv:17, column amount: '' is not a number</c>.</summary>
    public override string ToString() => Column is null ? $"{Location}: {Message}" : $"{Location}, column {Column}: {Message}";
}

/// <summary>
/// An import was rejected: nothing was written (the checks run before the first write). <see cref="Problems"/> lists
/// every problem with its file, line and column; the message lists the first <see cref="ListedInMessage"/> and the total.
/// Only when a write fails after the checks passed (another session changed the tenant meanwhile) were the rows before
/// it written; the message then says so, and re-running the import resumes.
/// </summary>
public sealed class CsvImportException : CrmValidationException
{
    /// <summary>How many problems the message lists; <see cref="Problems"/> holds all of them.</summary>
    public const int ListedInMessage = 20;

    private readonly string _message;

    /// <summary>Creates the exception from the problems found (at least one).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="problems"/> is null.</exception>
    public CsvImportException(IReadOnlyList<CsvImportProblem> problems)
        : this(problems, "The import was rejected and nothing was written")
    {
    }

    /// <summary>For a write that failed after the checks passed (a concurrent change): the rows before it stay written.</summary>
    internal CsvImportException(IReadOnlyList<CsvImportProblem> problems, string opening)
        : base(ToErrors(problems))
    {
        Problems = problems;
        _message = Describe(problems, opening);
    }

    /// <summary>Every problem found, in file order (sellers, clients, stage history, deals, targets), then by line.</summary>
    public IReadOnlyList<CsvImportProblem> Problems { get; }

    /// <summary>The first <see cref="ListedInMessage"/> problems, one a line, and how many there are in all.</summary>
    public override string Message => _message;

    private static ValidationError[] ToErrors(IReadOnlyList<CsvImportProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var errors = new ValidationError[problems.Count];
        for (var i = 0; i < errors.Length; i++)
        {
            var p = problems[i];
            errors[i] = new ValidationError(p.Location, p.Column is null ? p.Message : $"column {p.Column}: {p.Message}");
        }

        return errors;
    }

    private static string Describe(IReadOnlyList<CsvImportProblem> problems, string opening)
    {
        var text = new StringBuilder();
        text.Append(opening).Append(": ").Append(problems.Count)
            .Append(problems.Count == 1 ? " problem." : " problems.");
        if (problems.Count > ListedInMessage)
        {
            text.Append(" The first ").Append(ListedInMessage).Append(" (all are in the exception's Problems):");
        }

        for (var i = 0; i < problems.Count && i < ListedInMessage; i++)
        {
            text.Append('\n').Append(problems[i]);
        }

        if (problems.Count > ListedInMessage)
        {
            text.Append("\n… and ").Append(problems.Count - ListedInMessage).Append(" more.");
        }

        return text.ToString();
    }
}
