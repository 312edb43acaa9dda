namespace Crm.Abstractions.Automation;

/// <summary>
/// A read-only view of a deal, as actions and plug-in handlers see it.
/// </summary>
/// <param name="Id">The deal's id.</param>
/// <param name="Pipeline">Its pipeline.</param>
/// <param name="Stage">The stage it is in.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="Client">Its client.</param>
/// <param name="Amount">Its expected amount.</param>
/// <param name="Status">Open, won or lost (the kind of its stage).</param>
public sealed record DealView(DealId Id, PipelineId Pipeline, StageId Stage, UserId Owner, ClientId Client, Money Amount, StageKind Status)
{
    /// <summary>The title, when given.</summary>
    public string? Title { get; init; }

    /// <summary>Where the deal came from, when known.</summary>
    public string? Source { get; init; }

    /// <summary>Custom fields.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

    /// <summary>Operational classifiers.</summary>
    public IReadOnlyDictionary<string, string> Classifiers { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a plug-in action handler gets.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Source">What ran the action: a rule id, a goal id or a process template id.</param>
/// <param name="Deal">The deal as it is now.</param>
/// <param name="Parameters">The action's parameters.</param>
public sealed record ActionContext(TenantId Tenant, string Source, DealView Deal, IReadOnlyDictionary<string, string> Parameters);

/// <summary>
/// An action a plug-in supplies, run by a <see cref="PluginAction"/> naming it. Register it in
/// <c>ICrmPlugin.Configure</c> with <c>context.Services.AddSingleton&lt;IActionHandler, MyHandler&gt;()</c> (or on
/// <c>ICrmKernelBuilder.Services</c>); a rule or goal naming a handler no plug-in registered is refused when defined.
/// </summary>
public interface IActionHandler
{
    /// <summary>The name actions call it by, e.g. <c>erp-export</c>.</summary>
    string Name { get; }

    /// <summary>Runs the action inside the unit of work that triggered it; throwing fails the whole command.</summary>
    /// <param name="context">The tenant, the source, the deal and the parameters.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken);
}
