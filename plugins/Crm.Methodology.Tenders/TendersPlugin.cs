using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using NodaTime;

namespace Crm.Methodology.Tenders;

/// <summary>
/// Long-cycle B2B sales and public tenders: the seller qualifies the opportunity (bid / no-bid), reads the tender
/// documents, and prepares a proposal that may only be submitted after presales, legal, finance and the head have
/// approved the bid (the <c>tenders-bid-approval</c> process sets <c>bidApproved</c>, which the Evaluation stage
/// requires). Norms are weeks, not days; a rule watches the submission deadline.
/// </summary>
/// <example><code>
/// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").AddPlugin(new TendersPlugin()));
/// await admin.Methodologies.InstallAsync(TendersPlugin.MethodologyId);
/// </code></example>
public sealed class TendersPlugin : ICrmPlugin
{
    /// <summary>The methodology's id, <c>tenders</c>.</summary>
    public const string MethodologyId = "tenders";

    /// <summary>The pipeline's id, <c>tender</c>.</summary>
    public static readonly PipelineId Pipeline = new("tender");

    /// <summary>The tenders methodology: its pipeline, the bid approval process, the submission rule, a relationship classifier and two report presets.</summary>
    public static SalesMethodology Methodology { get; } = Create();

    /// <inheritdoc />
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddMethodology(Methodology);
    }

    private static SalesMethodology Create()
    {
        var lost = new StageId("lost");
        var stages = new StageDefinition[]
        {
            new(new StageId("qualification"), "Qualification")
            {
                Norm = Duration.FromDays(14),
                WinProbability = 0.05m,
                Goals =
                [
                    // Go: the buyer's budget, the decision makers and the timeline are known and the bid fits us.
                    new GoalDefinition(new GoalId("bid"), "Bid decision: go",
                        [new SetField("deal.field.bidDecision", "go"), new SetField("client.classifier.tender-relationship", "bidding"),
                         new StartProcess("tenders-bid-approval"), new MoveToStage(new StageId("documents"))]),
                    new GoalDefinition(new GoalId("no-bid"), "Bid decision: no-go", [new SetField("deal.field.bidDecision", "no-go"), new MoveToStage(lost)]),
                ],
            },
            new(new StageId("documents"), "Tender documents")
            {
                Norm = Duration.FromDays(21),
                WinProbability = 0.15m,
                Goals =
                [
                    new GoalDefinition(new GoalId("documents-analysed"), "Tender documents received and analysed",
                        [new CreateTask("Build the compliance matrix: answer every requirement of the tender", BusinessDuration.Calendar(Duration.FromDays(5))),
                         new MoveToStage(new StageId("proposal"))]),
                ],
            },
            new(new StageId("proposal"), "Proposal")
            {
                Norm = Duration.FromDays(30),
                WinProbability = 0.25m,
                RequiredFields = ["tenderDeadline"],
                Goals =
                [
                    new GoalDefinition(new GoalId("submitted"), "Proposal submitted before the deadline",
                        [new SetField("deal.field.submitted", "yes"), new MoveToStage(new StageId("evaluation"))]),
                ],
            },
            new(new StageId("evaluation"), "Buyer evaluation")
            {
                Norm = Duration.FromDays(60),
                WinProbability = 0.35m,
                RequiredFields = ["bidApproved"],
                Goals =
                [
                    new GoalDefinition(new GoalId("shortlisted"), "Shortlisted for negotiation", [new MoveToStage(new StageId("negotiation"))]),
                    new GoalDefinition(new GoalId("rejected"), "Proposal rejected", [new MoveToStage(lost)]),
                ],
            },
            new(new StageId("negotiation"), "Negotiation")
            {
                Norm = Duration.FromDays(30),
                WinProbability = 0.7m,
                Goals =
                [
                    new GoalDefinition(new GoalId("awarded"), "Contract awarded",
                        [new SetField("client.classifier.tender-relationship", "contracted"), new MoveToStage(new StageId("won")),
                         new Notify("Tender awarded", "The contract was awarded to us.", Recipient.OwnerHead)]),
                    new GoalDefinition(new GoalId("lost-award"), "Awarded to a competitor", [new MoveToStage(lost)]),
                ],
            },
            new(new StageId("won"), "Awarded", StageKind.Won) { WinProbability = 1m },
            new(lost, "Lost", StageKind.Lost) { WinProbability = 0m },
        };
        var assembly = typeof(TendersPlugin).Assembly;
        return new SalesMethodology(MethodologyId, "Long-cycle B2B and tenders",
            "Bids on tenders and large B2B contracts: bid/no-bid qualification, tender documents, a bid approved by presales, legal, finance and the head before submission, evaluation and negotiation over months.",
            [new PipelineDefinition(Pipeline, "Tenders", stages)])
        {
            ProcessTemplates = [MethodologyDocument.FromResource(assembly, "tenders-bid-approval.json")],
            Rules = [MethodologyDocument.FromResource(assembly, "tenders-submission-deadline.json")],
            Classifiers =
            [
                new ClientClassifierDefinition("tender-relationship", ["prospect", "bidding", "contracted"])
                {
                    Description = "Where the buyer organization stands with us: not yet bid to, a bid running, a contract awarded.",
                },
            ],
            ReportPresets =
            [
                MethodologyDocument.FromResource(assembly, "tenders-win-rate-by-region.json"),
                MethodologyDocument.FromResource(assembly, "tenders-awarded-by-month.json"),
            ],
        };
    }
}
