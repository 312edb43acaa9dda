using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Deals;

/// <summary>Which page of each column of a Kanban board to return.</summary>
public sealed record KanbanQuery
{
    /// <summary>Cards per column; null: <c>CrmKernelOptions.KanbanPageSize</c>.</summary>
    public int? PageSize { get; init; }
    /// <summary>Cards to skip in every column (page × page size).</summary>
    public int Skip { get; init; }
    /// <summary>Only this owner's cards (within what the session sees).</summary>
    public UserId? Owner { get; init; }
}

/// <summary>A card on the board: the deal and its effective win probability.</summary>
/// <param name="Deal">The deal.</param>
/// <param name="EnteredStageAt">When it entered the column's stage.</param>
/// <param name="WinProbability">The deal's own probability, else the stage's.</param>
public sealed record KanbanCard(Deal Deal, Instant EnteredStageAt, decimal? WinProbability);

/// <summary>A column: a stage, its card count and totals per currency over all its cards, and one page of cards.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Count">How many deals the column holds (all pages).</param>
/// <param name="Totals">Amount totals per currency over all the column's deals, ordered by currency.</param>
/// <param name="Cards">This page of cards, newest in the stage first.</param>
/// <param name="HasMore">True when more cards follow this page.</param>
/// <remarks>
/// A total never overflows: when the true sum of a currency's amounts exceeds the range of <see cref="decimal"/> (only
/// possible with amounts stored before the API bounded them), its entry in <see cref="Totals"/> stays at
/// <see cref="decimal.MaxValue"/> (a lower bound) and the currency is listed in <see cref="SaturatedTotals"/>.
/// </remarks>
public sealed record KanbanColumn(StageDefinition Stage, int Count, IReadOnlyList<Money> Totals, IReadOnlyList<KanbanCard> Cards, bool HasMore)
{
    /// <summary>
    /// The currencies whose total exceeds the decimal range, ordered; their entry in <see cref="Totals"/> is
    /// <see cref="decimal.MaxValue"/> (or <see cref="decimal.MinValue"/>) instead of the exact sum. Empty as a rule.
    /// </summary>
    public IReadOnlyList<string> SaturatedTotals { get; init; } = [];
}

/// <summary>A column's totals per currency, saturating instead of throwing when a sum leaves the decimal range.</summary>
internal static class KanbanTotals
{
    /// <summary>The totals of <paramref name="deals"/> per currency (ordered by currency), and the currencies that saturated.</summary>
    public static (IReadOnlyList<Money> Totals, IReadOnlyList<string> Saturated) Of(IReadOnlyList<Deal> deals)
    {
        var totals = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        SortedSet<string>? saturated = null;
        for (var i = 0; i < deals.Count; i++)
        {
            var amount = deals[i].Amount;
            var sum = totals.GetValueOrDefault(amount.Currency);
            if (saturated is not null && saturated.Contains(amount.Currency))
            {
                continue;
            }

            if (TryAdd(sum, amount.Amount, out var next))
            {
                totals[amount.Currency] = next;
            }
            else
            {
                // One deal stored before the API bounded amounts must not break the board for every viewer.
                totals[amount.Currency] = amount.Amount > 0m ? decimal.MaxValue : decimal.MinValue;
                (saturated ??= new SortedSet<string>(StringComparer.Ordinal)).Add(amount.Currency);
            }
        }

        var money = new Money[totals.Count];
        var n = 0;
        foreach (var (currency, sum) in totals)
        {
            money[n++] = Money.Of(sum, currency);
        }

        return (money, saturated is null ? [] : saturated.ToArray());
    }

    /// <summary><paramref name="sum"/> + <paramref name="amount"/>, or false when it leaves the decimal range.</summary>
    internal static bool TryAdd(decimal sum, decimal amount, out decimal result)
    {
        try
        {
            result = sum + amount;
            return true;
        }
        catch (OverflowException)
        {
            result = 0m;
            return false;
        }
    }
}

/// <summary>A pipeline's deals as columns by stage, in path order (the unsorted stage first when there is one).</summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Columns">The columns.</param>
public sealed record KanbanBoard(PipelineDefinition Pipeline, IReadOnlyList<KanbanColumn> Columns);
