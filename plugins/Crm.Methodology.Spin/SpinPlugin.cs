using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using NodaTime;

namespace Crm.Methodology.Spin;

/// <summary>
/// SPIN selling (Neil Rackham): a large sale advances when the seller asks, in order, <b>S</b>ituation questions (facts
/// about the buyer), <b>P</b>roblem questions (difficulties the buyer admits), <b>I</b>mplication questions (what the
/// problem costs if left alone) and <b>N</b>eed-payoff questions (the buyer says what solving it is worth). Each kind of
/// question is a goal of its own stage; the call ends in an advance, a continuation or no sale.
/// </summary>
/// <example><code>
/// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").AddPlugin(new SpinPlugin()));
/// await admin.Methodologies.InstallAsync(SpinPlugin.MethodologyId);
/// </code></example>
// DOCS-BEGIN plugin (docs/methodologies.md quotes this region; a test keeps them equal)
public sealed class SpinPlugin : ICrmPlugin
{
    /// <summary>The methodology's id, <c>spin</c>.</summary>
    public const string MethodologyId = "spin";

    /// <summary>The pipeline's id, <c>spin</c>.</summary>
    public static readonly PipelineId Pipeline = new("spin");

    /// <summary>The SPIN methodology: its pipeline, the commitment process, the need-payoff rule, the pain classifier and two report presets.</summary>
    public static SalesMethodology Methodology { get; } = Create();

    /// <inheritdoc />
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddMethodology(Methodology);
    }

    private static SalesMethodology Create()
    {
        var assembly = typeof(SpinPlugin).Assembly;
        return new SalesMethodology(MethodologyId, "SPIN selling",
            "Question-led discovery for large, considered sales: situation, problem, implication and need-payoff questions, each a goal that advances the deal.",
            [new PipelineDefinition(Pipeline, "SPIN selling", Stages())])
        {
            ProcessTemplates = [MethodologyDocument.FromResource(assembly, "spin-commitment.json")],
            Rules = [MethodologyDocument.FromResource(assembly, "spin-need-payoff-follow-up.json")],
            Classifiers =
            [
                new ClientClassifierDefinition("spin-pain", ["none", "stated", "quantified", "solved"])
                {
                    Description = "How far the buyer's need has developed: no problem yet, an implied need, a need with its cost, solved by the purchase.",
                },
            ],
            ReportPresets =
            [
                MethodologyDocument.FromResource(assembly, "spin-conversion-by-owner.json"),
                MethodologyDocument.FromResource(assembly, "spin-open-by-stage.json"),
            ],
        };
    }
    // DOCS-END plugin

    private static StageDefinition[] Stages()
    {
        var won = new StageId("won");
        var lost = new StageId("lost");
        return
        [
            new(new StageId("situation"), "Situation")
            {
                Norm = Duration.FromDays(3),
                WinProbability = 0.05m,
                Goals =
                [
                    new GoalDefinition(new GoalId("situation-covered"), "Situation questions asked: facts, systems, people",
                        [new SetField("client.classifier.spin-pain", "none"), new MoveToStage(new StageId("problem"))]),
                ],
            },
            // DOCS-BEGIN stage
            new(new StageId("problem"), "Problem")
            {
                Norm = Duration.FromDays(5),
                WinProbability = 0.15m,
                Goals =
                [
                    // The seller writes the admitted problem into the deal's "problem" field; Implication requires it.
                    new GoalDefinition(new GoalId("problem-admitted"), "Buyer admitted a problem (implied need)",
                        [new SetField("client.classifier.spin-pain", "stated"), new MoveToStage(new StageId("implication"))]),
                ],
            },
            // DOCS-END stage
            new(new StageId("implication"), "Implication")
            {
                Norm = Duration.FromDays(7),
                WinProbability = 0.3m,
                RequiredFields = ["problem"],
                Goals =
                [
                    new GoalDefinition(new GoalId("implication-explored"), "Buyer sees what the problem costs",
                        [new SetField("client.classifier.spin-pain", "quantified"), new MoveToStage(new StageId("need-payoff"))]),
                ],
            },
            new(new StageId("need-payoff"), "Need-payoff")
            {
                Norm = Duration.FromDays(5),
                WinProbability = 0.55m,
                RequiredFields = ["needPayoff"],
                Goals =
                [
                    // The buyer stated the value of a solution (explicit need): build the proposal on the buyer's own words.
                    new GoalDefinition(new GoalId("explicit-need"), "Buyer stated an explicit need and its payoff",
                        [new StartProcess("spin-commitment"), new MoveToStage(new StageId("commitment"))]),
                ],
            },
            new(new StageId("commitment"), "Commitment")
            {
                Norm = Duration.FromDays(10),
                WinProbability = 0.75m,
                Goals =
                [
                    new GoalDefinition(new GoalId("advance"), "Advance: the buyer committed to buy",
                        [new SetField("client.classifier.spin-pain", "solved"), new MoveToStage(won), new Notify("SPIN deal won", "The buyer committed.", Recipient.OwnerHead)]),
                    new GoalDefinition(new GoalId("continuation"), "Continuation: another meeting, no commitment yet",
                        [new CreateTask("Agree a concrete advance for the next meeting", BusinessDuration.Calendar(Duration.FromDays(2)))]),
                    new GoalDefinition(new GoalId("no-sale"), "No sale", [new MoveToStage(lost)]),
                ],
            },
            new(won, "Won", StageKind.Won) { WinProbability = 1m },
            new(lost, "Lost", StageKind.Lost) { WinProbability = 0m },
        ];
    }
}
