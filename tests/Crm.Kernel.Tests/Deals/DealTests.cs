using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Tasks;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Deals;

public sealed class DealTests
{
    [Fact]
    public async Task Open_deal_starts_in_first_open_stage_with_history()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1, 1200m);

        Assert.Equal(Lead, deal.Stage);
        Assert.Equal(Seller1, deal.Owner);
        Assert.Equal(DealStatus.Open, deal.Status);
        Assert.Equal(Money.Of(1200m, "USD"), deal.Amount);
        var visit = Assert.Single(deal.History);
        Assert.Equal(new StageVisit(Lead, Start, null, Seller1, Cause.Manual), visit);
        Assert.Equal(1, deal.Version);
    }

    [Fact]
    public async Task Move_records_left_and_entered_instants_and_cause()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        k.Clock.Advance(Duration.FromHours(5));
        deal = await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);

        Assert.Equal(Proposal, deal.Stage);
        Assert.Equal(2, deal.History.Count);
        Assert.Equal(Start + Duration.FromHours(5), deal.History[0].LeftAt);
        Assert.Equal(Start + Duration.FromHours(5), deal.History[1].EnteredAt);
        Assert.Equal(CauseKind.Manual, deal.History[1].Cause.Kind);
    }

    [Fact]
    public async Task Move_without_required_fields_fails_naming_them_and_changes_nothing()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<StageRequirementsNotMetException>(() => k.Session(Seller1).Deals.MoveAsync(deal.Id, Qualified));

        Assert.Equal(["budget"], error.MissingFields);
        Assert.Contains("budget", error.Message);
        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Equal(Lead, (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Stage);

        await k.Session(Seller1).Deals.SetFieldAsync(deal.Id, "budget", "50k");
        Assert.Equal(Qualified, (await k.Session(Seller1).Deals.MoveAsync(deal.Id, Qualified)).Stage);
    }

    [Fact]
    public async Task Win_closes_the_deal_and_reopening_clears_closed_at()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        k.Clock.Advance(Duration.FromDays(2));
        deal = await k.Session(Seller1).Deals.MoveAsync(deal.Id, Won);
        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.Equal(k.Clock.GetCurrentInstant(), deal.ClosedAt);

        deal = await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        Assert.Equal(DealStatus.Open, deal.Status);
        Assert.Null(deal.ClosedAt);
    }

    [Fact]
    public async Task Achieving_a_goal_runs_its_reactions_in_one_unit()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);
        var before = await k.JournalHeadAsync();

        deal = await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("purchase-prepared"));

        Assert.Equal(Won, deal.Stage);
        Assert.Equal(DealStatus.Won, deal.Status);
        Assert.Equal(new CauseKind[] { CauseKind.Goal }, new[] { deal.History[^1].Cause.Kind });
        Assert.Equal("purchase-prepared", deal.History[^1].Cause.Reference);
        Assert.Equal("customer", (await k.Session(Seller1).Clients.GetAsync(deal.Client)).Classifiers["status"]);
        var entries = await k.Session(Admin).Journal.ListAsync(before);
        Assert.Collection(entries,
            e => Assert.IsType<GoalAchieved>(e.Event),
            e => Assert.IsType<DealStageChanged>(e.Event),
            e => Assert.IsType<ClientClassifierSet>(e.Event),
            e => Assert.Equal(Head1, Assert.IsType<NotificationRequested>(e.Event).Recipient));
        // One command, one commit: the positions are contiguous and the goal's reactions carry the goal as cause.
        Assert.All(entries.Skip(1), e => Assert.Equal(CauseKind.Goal, e.Cause.Kind));
    }

    [Fact]
    public async Task Goal_creates_task_for_owner_due_after_period()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);
        await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("requirements-received"));

        var task = Assert.Single(await k.Session(Seller1).Tasks.ListAsync());
        Assert.Equal("Prepare the specification", task.Title);
        Assert.Equal(Seller1, task.Assignee);
        Assert.Equal(Start + Duration.FromDays(2), task.Due);
        Assert.Equal(deal.Id, task.Deal);
    }

    [Fact]
    public async Task Goal_not_in_current_stage_is_rejected_with_the_stage_goals()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("refused")));

        Assert.Contains("contacted", error.Message);
    }

    [Fact]
    public async Task Round_robin_skips_inactive_members()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("s0"), "Sam Seller") { Team = North });
        await k.Session(Admin).Organization.DeactivateUserAsync(new UserId("s0"), Seller1);
        var owners = new List<UserId>();
        for (var i = 0; i < 4; i++)
        {
            var deal = await k.DealAsync(Head1);
            owners.Add((await k.Session(Head1).Deals.AchieveGoalAsync(deal.Id, new GoalId("route-north"))).Owner);
        }

        Assert.Equal([Seller1, Seller2, Seller1, Seller2], owners);
    }

    [Fact]
    public async Task Stage_manager_assignment_and_process_hook()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        var before = await k.JournalHeadAsync();

        deal = await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("escalate"));

        Assert.Equal(Head1, deal.Owner);
        var entries = await k.Session(Admin).Journal.ListAsync(before);
        Assert.Contains(entries, e => e.Event is ProcessStartRequested { TemplateId: "delivery" } p && p.Deal == deal.Id);
    }

    [Fact]
    public async Task Reaction_loop_hits_depth_limit_and_writes_nothing()
    {
        var loop = SalesPipeline(
            new StageDefinition(Proposal, "Proposal")
            {
                Goals = [new GoalDefinition(new GoalId("ping"), "Ping", [new SetField("deal.field.x", "1"), new AchieveGoal(new GoalId("pong"))]),
                         new GoalDefinition(new GoalId("pong"), "Pong", [new AchieveGoal(new GoalId("ping"))])],
            });
        await using var k = await WithOrganizationAsync(loop, maxDepth: 5);
        var deal = await k.DealAsync(Seller1);
        deal = await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<ReactionCascadeTooDeepException>(() => k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, new GoalId("ping")));

        Assert.Equal(5, error.Limit);
        Assert.Contains("goal ping", string.Join(" ", error.Chain));
        Assert.Equal(head, await k.JournalHeadAsync());
        var after = await k.Session(Seller1).Deals.GetAsync(deal.Id);
        Assert.Equal(deal.Version, after.Version);
        Assert.False(after.Fields.ContainsKey("x"));
    }

    [Fact]
    public async Task Stale_expected_version_is_a_conflict_and_changes_nothing()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal, expectedVersion: deal.Version);

        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation, expectedVersion: deal.Version));

        Assert.Equal(deal.Version, error.ExpectedVersion);
        Assert.Equal(Proposal, (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Stage);
    }

    [Fact]
    public async Task Concurrent_writers_from_one_version_one_wins()
    {
        await using var k = await WithOrganizationAsync();
        var deal = await k.DealAsync(Seller1);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await k.Session(Seller1).Deals.SetFieldAsync(deal.Id, "note", "writer " + i, expectedVersion: deal.Version);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(deal.Version + 1, (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Version);
    }

    [Theory]
    [InlineData(-1, "USD", "amount")]
    [InlineData(5, "usd", "currency")]
    public async Task Bad_amount_is_rejected(decimal amount, string currency, string expected)
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Acme");
        var error = await Record.ExceptionAsync(() => k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(amount, currency))));
        Assert.NotNull(error);
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await k.Session(Seller1).Deals.ListAsync());
    }

    [Fact]
    public async Task Opening_in_a_closed_stage_is_rejected()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Acme");
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1, "USD")) { Stage = Won }));
    }

    [Fact]
    public async Task Task_lifecycle_complete_and_reassign()
    {
        await using var k = await WithOrganizationAsync();
        var task = await k.Session(Head1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromDays(1)) { Assignee = Seller1 });
        task = await k.Session(Head1).Tasks.ReassignAsync(task.Id, Seller2);
        Assert.Equal(Seller2, task.Assignee);
        Assert.Empty(await k.Session(Seller1).Tasks.ListAsync());
        task = await k.Session(Seller2).Tasks.CompleteAsync(task.Id);
        Assert.Equal(WorkTaskStatus.Done, task.Status);
        await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Seller2).Tasks.CompleteAsync(task.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("x", Start) { Assignee = Seller3 }));
    }
}
