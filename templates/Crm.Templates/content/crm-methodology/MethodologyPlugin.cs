using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using NodaTime;

namespace CrmMethodology1;

/// <summary>
/// A sales methodology: its pipeline (stages, each with goals whose reactions move the deal). The host adds the plug-in
/// (crm.AddPlugin(new MethodologyPlugin()) or from a plug-in folder); a tenant's administrator installs the methodology
/// with <c>session.Methodologies.InstallAsync(MethodologyPlugin.MethodologyId)</c>.
/// </summary>
public sealed class MethodologyPlugin : ICrmPlugin
{
    /// <summary>The methodology's id.</summary>
    public const string MethodologyId = "crmmethodology1";

    /// <summary>The pipeline's id (pipeline ids are per tenant; prefix them with the methodology's id).</summary>
    public static readonly PipelineId Pipeline = new("crmmethodology1");

    /// <inheritdoc />
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddMethodology(new SalesMethodology(MethodologyId, "CrmMethodology1",
            "Qualify, propose, close: each stage's goal moves the deal on.",
            [new PipelineDefinition(Pipeline, "CrmMethodology1", Stages())]));
    }

    private static StageDefinition[] Stages()
    {
        var won = new StageId("won");
        var lost = new StageId("lost");
        return
        [
            new(new StageId("lead"), "Lead")
            {
                Norm = Duration.FromDays(3),
                WinProbability = 0.1m,
                Goals =
                [
                    new GoalDefinition(new GoalId("qualified"), "Need, budget and decision maker known", [new MoveToStage(new StageId("proposal"))]),
                    new GoalDefinition(new GoalId("disqualified"), "Not a fit", [new MoveToStage(lost)]),
                ],
            },
            new(new StageId("proposal"), "Proposal")
            {
                Norm = Duration.FromDays(7),
                WinProbability = 0.5m,
                Goals =
                [
                    new GoalDefinition(new GoalId("signed"), "Contract signed", [new MoveToStage(won)]),
                    new GoalDefinition(new GoalId("follow-up"), "Proposal sent, no answer yet",
                        [new CreateTask("Call the buyer about the proposal", BusinessDuration.Calendar(Duration.FromDays(2)))]),
                    new GoalDefinition(new GoalId("declined"), "Buyer declined", [new MoveToStage(lost)]),
                ],
            },
            new(won, "Won", StageKind.Won) { WinProbability = 1m },
            new(lost, "Lost", StageKind.Lost) { WinProbability = 0m },
        ];
    }
}
