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
public sealed record KanbanColumn(StageDefinition Stage, int Count, IReadOnlyList<Money> Totals, IReadOnlyList<KanbanCard> Cards, bool HasMore);

/// <summary>A pipeline's deals as columns by stage, in path order (the unsorted stage first when there is one).</summary>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Columns">The columns.</param>
public sealed record KanbanBoard(PipelineDefinition Pipeline, IReadOnlyList<KanbanColumn> Columns);
