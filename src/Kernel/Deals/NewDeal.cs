using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Deals;

/// <summary>What it takes to open a deal. Only the client, the pipeline and the amount are required.</summary>
/// <param name="Client">The client (must be visible to the session).</param>
/// <param name="Pipeline">The pipeline.</param>
/// <param name="Amount">The expected amount; zero or more.</param>
public sealed record NewDeal(ClientId Client, PipelineId Pipeline, Money Amount)
{
    /// <summary>The id to use; null: a new one.</summary>
    public DealId? Id { get; init; }
    /// <summary>The first stage; null: the pipeline's first open stage.</summary>
    public StageId? Stage { get; init; }
    /// <summary>The owner; null: the session's user. A seller may only open deals for themself.</summary>
    public UserId? Owner { get; init; }
    /// <summary>A short title.</summary>
    public string? Title { get; init; }
    /// <summary>Where the deal came from.</summary>
    public string? Source { get; init; }
    /// <summary>Own win probability in [0, 1].</summary>
    public decimal? WinProbability { get; init; }
    /// <summary>Expected close date.</summary>
    public LocalDate? ExpectedClose { get; init; }
    /// <summary>Custom fields.</summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }
}

/// <summary>Which deals to list. Every criterion is optional; visibility always applies.</summary>
public sealed record DealQuery
{
    /// <summary>Only deals of this pipeline.</summary>
    public PipelineId? Pipeline { get; init; }
    /// <summary>Only deals of this owner.</summary>
    public UserId? Owner { get; init; }
    /// <summary>Only deals of this client.</summary>
    public ClientId? Client { get; init; }
    /// <summary>Only deals with this status.</summary>
    public DealStatus? Status { get; init; }
}
