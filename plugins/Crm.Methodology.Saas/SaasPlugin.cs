using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using NodaTime;

namespace Crm.Methodology.Saas;

/// <summary>
/// SaaS subscription sales, where revenue is recurring and the work goes on after the first payment: a trial is set up
/// (the <c>saas-onboarding</c> process), the account reaches activation, converts to a paid plan (the first paid
/// invoice achieves it), and comes up for renewal. Usage reported into the deal's fields drives two rules: high seat
/// utilisation makes the account an upsell candidate; low weekly activity flags a churn risk that must recover in
/// 10 working days.
/// </summary>
/// <example><code>
/// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").AddPlugin(new SaasPlugin()));
/// await admin.Methodologies.InstallAsync(SaasPlugin.MethodologyId);
/// await session.Deals.SetFieldAsync(deal.Id, "weeklyActiveUsers", "2");   // from product analytics
/// </code></example>
public sealed class SaasPlugin : ICrmPlugin
{
    /// <summary>The methodology's id, <c>saas</c>.</summary>
    public const string MethodologyId = "saas";

    /// <summary>The pipeline's id, <c>saas</c>.</summary>
    public static readonly PipelineId Pipeline = new("saas");

    /// <summary>The SaaS methodology: its pipeline, the onboarding process, the conversion, upsell and churn-risk rules, health classifiers and report presets.</summary>
    public static SalesMethodology Methodology { get; } = Create();

    /// <inheritdoc />
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddMethodology(Methodology);
    }

    private static SalesMethodology Create()
    {
        var churned = new StageId("churned");
        var stages = new StageDefinition[]
        {
            new(new StageId("trial"), "Trial")
            {
                Norm = Duration.FromDays(2),
                WinProbability = 0.1m,
                Goals =
                [
                    new GoalDefinition(new GoalId("workspace-created"), "Trial workspace created",
                        [new SetField("client.classifier.health", "onboarding"), new StartProcess("saas-onboarding"), new MoveToStage(new StageId("activation"))]),
                ],
            },
            new(new StageId("activation"), "Activation")
            {
                Norm = Duration.FromDays(12),
                WinProbability = 0.3m,
                Goals =
                [
                    // Activation: the account did the key action that predicts conversion (e.g. invited a team, ran a first project).
                    new GoalDefinition(new GoalId("activated"), "Reached the activation milestone",
                        [new SetField("client.classifier.health", "healthy"), new CreateTask("Send the paid-plan offer", BusinessDuration.Calendar(Duration.FromDays(1)))]),
                    new GoalDefinition(new GoalId("first-invoice-paid"), "First invoice paid",
                        [new SetField("client.classifier.plan", "paid"), new MoveToStage(new StageId("paid"))]),
                    new GoalDefinition(new GoalId("trial-expired"), "Trial expired without a plan", [new MoveToStage(churned)]),
                ],
            },
            new(new StageId("paid"), "Paid subscription")
            {
                Norm = Duration.FromDays(335),
                WinProbability = 0.85m,
                Goals =
                [
                    new GoalDefinition(new GoalId("renewal-window"), "Renewal window opened (30 days before the term ends)",
                        [new CreateTask("Prepare the renewal: usage review and price", BusinessDuration.Calendar(Duration.FromDays(5))), new MoveToStage(new StageId("renewal"))]),
                    new GoalDefinition(new GoalId("upgraded"), "Upgraded to a bigger plan",
                        [new SetField("deal.field.upsell", "won"), new Notify("Upsell won", "The account moved to a bigger plan.", Recipient.OwnerHead)]),
                ],
            },
            new(new StageId("renewal"), "Renewal")
            {
                Norm = Duration.FromDays(30),
                WinProbability = 0.8m,
                Goals =
                [
                    new GoalDefinition(new GoalId("renewed"), "Renewed for another term", [new SetField("client.classifier.plan", "paid"), new MoveToStage(new StageId("renewed"))]),
                    new GoalDefinition(new GoalId("cancelled"), "Cancelled", [new SetField("client.classifier.plan", "cancelled"), new MoveToStage(churned)]),
                ],
            },
            new(new StageId("renewed"), "Renewed", StageKind.Won) { WinProbability = 1m },
            new(churned, "Churned", StageKind.Lost) { WinProbability = 0m },
        };
        var assembly = typeof(SaasPlugin).Assembly;
        return new SalesMethodology(MethodologyId, "SaaS subscription",
            "Product-led subscription sales: trial, activation, paid plan and renewal, with onboarding, usage-driven upsell and churn-risk rules.",
            [new PipelineDefinition(Pipeline, "Subscriptions", stages)])
        {
            ProcessTemplates = [MethodologyDocument.FromResource(assembly, "saas-onboarding.json")],
            Rules =
            [
                MethodologyDocument.FromResource(assembly, "saas-first-invoice-paid.json"),
                MethodologyDocument.FromResource(assembly, "saas-upsell.json"),
                MethodologyDocument.FromResource(assembly, "saas-churn-risk.json"),
            ],
            Classifiers =
            [
                new ClientClassifierDefinition("health", ["onboarding", "healthy", "at-risk"]) { Description = "The account's health from usage: onboarding, healthy, or at risk of churning." },
                new ClientClassifierDefinition("plan", ["trial", "paid", "cancelled"]) { Description = "The account's subscription state." },
            ],
            ReportPresets =
            [
                MethodologyDocument.FromResource(assembly, "saas-conversion-by-source.json"),
                MethodologyDocument.FromResource(assembly, "saas-revenue-by-month.json"),
            ],
        };
    }
}
