using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using NodaTime;

namespace Crm.Methodology.Dealer;

/// <summary>
/// Car dealer sales: a lead is contacted within the day, gets a test drive of a chosen model, is financed (a credit
/// application runs as the <c>dealer-credit-approval</c> process; the bank's answer arrives as the deal signal
/// <c>BankApproved</c> or <c>BankDeclined</c>, which a rule turns into the goal), signs the contract, takes delivery,
/// and is followed up for the first service.
/// </summary>
/// <example><code>
/// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").AddPlugin(new DealerPlugin()));
/// await admin.Methodologies.InstallAsync(DealerPlugin.MethodologyId);
/// await session.Deals.RaiseSignalAsync(deal.Id, "BankApproved");   // from the bank integration
/// </code></example>
public sealed class DealerPlugin : ICrmPlugin
{
    /// <summary>The methodology's id, <c>dealer</c>.</summary>
    public const string MethodologyId = "dealer";

    /// <summary>The pipeline's id, <c>dealer</c>.</summary>
    public static readonly PipelineId Pipeline = new("dealer");

    /// <summary>The dealer methodology: its pipeline, the credit approval process, the bank and service rules, buyer classifiers and report presets.</summary>
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
        var contract = new StageId("contract");
        var stages = new StageDefinition[]
        {
            new(new StageId("lead"), "Lead")
            {
                Norm = Duration.FromDays(1),
                WinProbability = 0.1m,
                Goals =
                [
                    new GoalDefinition(new GoalId("contacted"), "Contacted, test drive offered",
                        [new CreateTask("Book the test drive and prepare the car", BusinessDuration.Calendar(Duration.FromDays(1))), new MoveToStage(new StageId("test-drive"))]),
                    new GoalDefinition(new GoalId("not-interested"), "Not interested", [new MoveToStage(lost)]),
                ],
            },
            new(new StageId("test-drive"), "Test drive")
            {
                Norm = Duration.FromDays(3),
                WinProbability = 0.3m,
                Goals =
                [
                    new GoalDefinition(new GoalId("wants-credit"), "Test drive done, buyer wants financing",
                        [new SetField("client.classifier.payment", "credit"), new StartProcess("dealer-credit-approval"), new MoveToStage(new StageId("credit"))]),
                    new GoalDefinition(new GoalId("pays-cash"), "Test drive done, buyer pays cash",
                        [new SetField("client.classifier.payment", "cash"), new SetField("deal.field.financing", "cash"), new MoveToStage(contract)]),
                ],
            },
            new(new StageId("credit"), "Credit approval")
            {
                Norm = Duration.FromDays(3),
                WinProbability = 0.5m,
                RequiredFields = ["model"],
                Goals =
                [
                    new GoalDefinition(new GoalId("credit-approved"), "The bank approved the credit",
                        [new SetField("deal.field.financing", "credit approved"), new MoveToStage(contract)]),
                    new GoalDefinition(new GoalId("credit-declined"), "The bank declined the credit",
                        [new CreateTask("Offer a cheaper model or a larger down payment", BusinessDuration.Calendar(Duration.FromDays(1)))]),
                ],
            },
            new(contract, "Contract")
            {
                Norm = Duration.FromDays(2),
                WinProbability = 0.8m,
                RequiredFields = ["model", "financing"],
                Goals =
                [
                    new GoalDefinition(new GoalId("contract-signed"), "Purchase contract signed",
                        [new CreateTask("Order registration plates and prepare the car (PDI)", BusinessDuration.Calendar(Duration.FromDays(3))), new MoveToStage(new StageId("delivery"))]),
                ],
            },
            new(new StageId("delivery"), "Delivery")
            {
                Norm = Duration.FromDays(10),
                WinProbability = 0.95m,
                RequiredFields = ["vin"],
                Goals =
                [
                    new GoalDefinition(new GoalId("handed-over"), "Car handed over",
                        [new SetField("client.classifier.ownership", "owner"), new MoveToStage(new StageId("delivered"))]),
                ],
            },
            new(new StageId("delivered"), "Delivered", StageKind.Won) { WinProbability = 1m },
            new(lost, "Lost", StageKind.Lost) { WinProbability = 0m },
        };
        var assembly = typeof(DealerPlugin).Assembly;
        return new SalesMethodology(MethodologyId, "Car dealer",
            "Showroom and web leads for a car dealer: contact within the day, test drive, credit approval with the bank, contract, delivery and a service follow-up that brings the owner back to the workshop.",
            [new PipelineDefinition(Pipeline, "Car sales", stages)])
        {
            ProcessTemplates = [MethodologyDocument.FromResource(assembly, "dealer-credit-approval.json")],
            Rules =
            [
                MethodologyDocument.FromResource(assembly, "dealer-bank-approved.json"),
                MethodologyDocument.FromResource(assembly, "dealer-bank-declined.json"),
                MethodologyDocument.FromResource(assembly, "dealer-service-follow-up.json"),
            ],
            Classifiers =
            [
                new ClientClassifierDefinition("payment", ["cash", "credit", "leasing"]) { Description = "How the buyer pays for the car." },
                new ClientClassifierDefinition("ownership", ["prospect", "owner", "service-customer"]) { Description = "Whether the client owns a car bought here and uses our workshop." },
            ],
            ReportPresets =
            [
                MethodologyDocument.FromResource(assembly, "dealer-sales-by-source.json"),
                MethodologyDocument.FromResource(assembly, "dealer-deliveries-by-month.json"),
            ],
        };
    }
}
