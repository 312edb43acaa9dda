using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Methodology.Tenders;
using NodaTime;
using Snapshooter.Xunit;
using Xunit;
using static Crm.Methodologies.Tests.MethodologyKernel;

namespace Crm.Methodologies.Tests;

public sealed class TendersScenarioTests
{
    [Fact]
    public async Task A_tender_is_qualified_approved_by_four_roles_submitted_and_awarded()
    {
        await using var k = await CreateAsync(new TendersPlugin(), TendersPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var head = k.Session(Head);
        var deal = await k.OpenDealAsync(TendersPlugin.Pipeline, "Municipality of Bodø", 1_200_000m);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("bid"));
        Assert.Equal(new StageId("documents"), deal.Stage);
        Assert.Equal("bidding", (await seller.Clients.GetAsync(deal.Client)).Classifiers["tender-relationship"]);
        var approval = Assert.Single(await seller.Processes.ListForDealAsync(deal.Id));
        Assert.Equal(("tenders-bid-approval", "technicalReview"), (approval.TemplateId, approval.CurrentStep));

        // The proposal stage needs the submission deadline on the deal.
        await Assert.ThrowsAsync<StageRequirementsNotMetException>(() => seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("documents-analysed")));
        await seller.Deals.SetFieldAsync(deal.Id, "tenderDeadline", "2026-04-10");
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("documents-analysed"));
        Assert.Equal(new StageId("proposal"), deal.Stage);
        Assert.Equal("tenders-submission-deadline", Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id)).Rule.Value);

        // Submission is blocked until every role approved the bid.
        await seller.Processes.FireAsync(approval.Id, "approve");   // presales (played by the owner here)
        await seller.Processes.FireAsync(approval.Id, "approve");   // legal
        await Assert.ThrowsAsync<StageRequirementsNotMetException>(() => seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("submitted")));

        // Two weeks pass: the head is told the proposal runs late; the deadline has not passed yet.
        await k.PassAsync(Duration.FromDays(14) + Duration.FromHours(2));
        Assert.Contains(await head.Inbox.ListAsync(), n => n.Subject == "Tender proposal running late: Municipality of Bodø");
        Assert.Equal(RuleOutcome.Pending, Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id)).Outcome);

        await seller.Processes.FireAsync(approval.Id, "approve");   // finance
        Assert.Contains(await head.Tasks.ListAsync(), t => t.Title == "Approve the bid for submission");
        approval = await head.Processes.FireAsync(approval.Id, "approve");
        Assert.Equal(ProcessStatus.Completed, approval.Status);
        Assert.Equal("yes", (await seller.Deals.GetAsync(deal.Id)).Fields["bidApproved"]);

        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("submitted"));
        Assert.Equal(new StageId("evaluation"), deal.Stage);
        Assert.Equal(RuleOutcome.Met, Assert.Single(await seller.Rules.ListInstancesAsync(deal.Id)).Outcome);
        await k.PassAsync(Duration.FromDays(40));
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("shortlisted"));
        deal = await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("awarded"));

        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.Equal("contracted", (await seller.Clients.GetAsync(deal.Client)).Classifiers["tender-relationship"]);
        var journal = await k.JournalAsync();
        var steps = journal.Select(e => e.Event).OfType<ProcessStepEntered>().Where(s => s.Process == approval.Id).Select(s => s.Step);
        Assert.Equal(["technicalReview", "legalReview", "financeReview", "headApproval", "approved"], steps);
        Assert.Contains(await head.Inbox.ListAsync(), n => n.Subject == "Tender awarded");
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task An_extended_submission_deadline_is_approved_by_the_head()
    {
        await using var k = await CreateAsync(new TendersPlugin(), TendersPlugin.MethodologyId);
        var seller = k.Session(Seller);
        var deal = await k.OpenDealAsync(TendersPlugin.Pipeline, "Statens vegvesen", 800_000m);
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("bid"));
        await seller.Deals.SetFieldAsync(deal.Id, "tenderDeadline", "2026-05-01");
        await seller.Deals.AchieveGoalAsync(deal.Id, new GoalId("documents-analysed"));
        var before = Assert.Single(await seller.Rules.RequestExceptionAsync(deal.Id, "the buyer extended the submission deadline"));

        var after = await k.Session(Head).Rules.DecideExceptionAsync(before.Id, approve: true);

        Assert.True(after.Deadline > before.Deadline);
        await k.PassAsync(Duration.FromDays(25));   // past 15 working days, inside 25
        Assert.Equal(RuleOutcome.Pending, (await seller.Rules.ListInstancesAsync(deal.Id))[0].Outcome);
        await k.PassAsync(Duration.FromDays(14));
        Assert.Equal(RuleOutcome.Violated, (await seller.Rules.ListInstancesAsync(deal.Id))[0].Outcome);
    }

    [Fact]
    public void Tenders_pipeline_and_process() => MethodologyRendering.Render(TendersPlugin.Methodology).MatchSnapshot();
}
