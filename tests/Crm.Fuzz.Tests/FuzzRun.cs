using System.Globalization;
using System.Text;
using Crm.Abstractions;
using Xunit.Abstractions;

namespace Crm.Fuzz.Tests;

/// <summary>
/// How many inputs each entry point gets and from which seed: <c>CRM_FUZZ_INPUTS</c> (default 1,000) and
/// <c>CRM_FUZZ_SEED</c> (default: a new seed, printed so that a failing run can be repeated exactly).
/// </summary>
internal static class FuzzSettings
{
    public static int Inputs { get; } = int.TryParse(Environment.GetEnvironmentVariable("CRM_FUZZ_INPUTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1000;

    public static int Seed(ITestOutputHelper output, string entryPoint)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CRM_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"{entryPoint}: {Inputs} inputs, seed {seed} (repeat with CRM_FUZZ_SEED={seed} CRM_FUZZ_INPUTS={Inputs})");
        return seed;
    }
}

/// <summary>Counts what one entry point did with its inputs and keeps the first unexpected outcomes to show.</summary>
internal sealed class FuzzTally(string entryPoint, ITestOutputHelper output)
{
    private readonly List<string> _unexpected = [];

    public int Inputs { get; private set; }
    public int Accepted { get; private set; }
    public int Refused { get; private set; }
    public int Unexpected { get; private set; }
    public int StateChanges { get; private set; }

    /// <summary>Runs one input: accepted, refused with a typed CrmException (and then the state must not have changed), or unexpected.</summary>
    public async Task RunAsync(Func<string> input, Func<Task> act, Func<Task<long>>? head = null)
    {
        Inputs++;
        var before = head is null ? 0 : await head();
        try
        {
            await act();
            Accepted++;
        }
        catch (CrmException)
        {
            Refused++;
            if (head is not null && await head() != before)
            {
                StateChanges++;
                Note($"state changed on a rejection: {input()}");
            }
        }
        catch (Exception e)
        {
            Unexpected++;
            Note($"{e.GetType().Name}: {Cut(e.Message)} for {input()}");
        }
    }

    /// <summary>Runs synchronous inputs: the function says accepted (true) or refused with a typed error (false); anything thrown is unexpected.</summary>
    public void Run(Func<bool> act, string input, int inputs = 1)
    {
        try
        {
            var accepted = act();
            Inputs += inputs;
            if (accepted)
            {
                Accepted += inputs;
            }
            else
            {
                Refused += inputs;
            }
        }
        catch (Exception e)
        {
            Inputs += inputs;
            Unexpected++;
            Note($"{e.GetType().Name}: {Cut(e.Message)} for {input}");
        }
    }

    /// <summary>Records an outcome the entry point's own check judged wrong; <paramref name="kind"/> groups them in the summary.</summary>
    public void Fail(string what, string kind = "other")
    {
        Unexpected++;
        _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;
        Note(what);
    }

    /// <summary>Records one input whose outcome was wrong (for entry points that count their inputs themselves).</summary>
    public void FailInput(string what, string kind)
    {
        Inputs++;
        Fail(what, kind);
    }

    private readonly SortedDictionary<string, int> _kinds = new(StringComparer.Ordinal);

    public void Count(bool accepted)
    {
        Inputs++;
        if (accepted)
        {
            Accepted++;
        }
        else
        {
            Refused++;
        }
    }

    /// <summary>Prints the counts and fails when anything unexpected happened.</summary>
    public void AssertClean()
    {
        output.WriteLine($"{entryPoint}: {Inputs} inputs, {Accepted} accepted, {Refused} refused with a typed error, {Unexpected} unexpected, {StateChanges} state changes on a rejection");
        if (_kinds.Count > 0)
        {
            output.WriteLine("  unexpected by kind: " + string.Join(", ", _kinds.Select(k => $"{k.Key} × {k.Value}")));
        }
        foreach (var line in _unexpected)
        {
            output.WriteLine("  " + line);
        }

        Xunit.Assert.True(Unexpected == 0 && StateChanges == 0,
            $"{entryPoint}: {Unexpected} unexpected outcomes and {StateChanges} state changes in {Inputs} inputs; first ones:\n" + string.Join("\n", _unexpected));
    }

    private void Note(string what)
    {
        if (_unexpected.Count < 20)
        {
            _unexpected.Add(what);
        }
    }

    /// <summary>An input or message shortened and made printable, for the test output.</summary>
    public static string Cut(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var builder = new StringBuilder();
        foreach (var c in text.Length > 160 ? text[..160] : text)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) || c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')
                ? $"\\u{(int)c:X4}"
                : c.ToString());
        }

        return text.Length > 160 ? builder + $"…({text.Length} chars)" : builder.ToString();
    }
}
