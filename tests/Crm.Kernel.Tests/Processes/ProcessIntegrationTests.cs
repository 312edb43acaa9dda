using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Processes;

public sealed class ProcessIntegrationTests
{
    private static readonly GoalId OrderConfirmed = new("order-confirmed");

    private static PipelineDefinition WithDeliveryGoal() => SalesPipeline(new StageDefinition(Proposal, "Proposal")
    {
        Goals = [new GoalDefinition(OrderConfirmed, "Order confirmed", [new StartProcess("delivery"), new MoveToStage(Negotiation)])],
    });

    private static async Task<(TestKernel Kernel, Crm.Kernel.Deals.Deal Deal)> DealInProposalAsync(Action<IServiceCollection>? configure = null)
    {
        var k = await WithOrganizationAsync(WithDeliveryGoal(), configure);
        var deal = await k.DealAsync(Seller1, 5000m);
        deal = await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        return (k, deal);
    }

    [Fact]
    public async Task A_goal_starts_Delivery_and_a_month_passes_with_reminders_one_escalation_and_every_step_journaled()
    {
        var (k, deal) = await DealInProposalAsync();
        await using var _ = k;
        var start = await k.JournalHeadAsync();

        await k.Session(Seller1).Deals.AchieveGoalAsync(deal.Id, OrderConfirmed);
        var process = Assert.Single(await k.Session(Seller1).Processes.ListForDealAsync(deal.Id));
        Assert.Equal(("delivery", 1, "orderConfirmed"), (process.TemplateId, process.TemplateVersion, process.CurrentStep));
        Assert.Equal("confirmed", (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Fields["deliveryStatus"]);

        // A month of simulated time, hour by hour; people act on some days, and picking is left to go overdue.
        var actions = new Dictionary<int, Func<Task>>
        {
            [3] = () => k.Session(Seller1).Processes.FireAsync(process.Id, "startPicking"),
            [3 + 48] = () => k.Session(Seller1).Processes.FireAsync(process.Id, "picked"),
            [3 + 72] = () => k.Session(Seller1).Processes.FireAsync(process.Id, "delivered"),
            [3 + 96] = () => k.Session(Seller1).Deals.RaiseSignalAsync(deal.Id, "DeliveryDocumentsSigned"),
        };
        for (var hour = 1; hour <= 24 * 30; hour++)
        {
            k.Clock.Advance(Duration.FromHours(1));
            if (actions.TryGetValue(hour, out var act))
            {
                await act();
            }

            await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        }

        process = await k.Session(Seller1).Processes.GetAsync(process.Id);
        Assert.Equal(ProcessStatus.Completed, process.Status);
        Assert.Equal(["orderConfirmed", "picking", "shipped", "delivered", "documentsSigned"], process.History.Select(h => h.Step));

        var journal = await k.Session(Admin).Journal.ListAsync(start, 10_000);
        var steps = journal.Where(e => e.Event is ProcessStepEntered).ToArray();
        Assert.Equal(["orderConfirmed", "picking", "shipped", "delivered", "documentsSigned"], steps.Select(e => ((ProcessStepEntered)e.Event).Step));
        Assert.Equal(CauseKind.Goal, steps[0].Cause.Kind);
        Assert.Equal("order-confirmed", steps[0].Cause.Reference);
        Assert.All(steps[1..4], e => Assert.Equal((CauseKind.Manual, Seller1), (e.Cause.Kind, e.Actor!.Value)));
        Assert.Equal((CauseKind.Process, "DeliveryDocumentsSigned"), (steps[4].Cause.Kind, steps[4].Cause.Description));

        var notes = journal.Where(e => e.Event is NotificationRequested).Select(e => (NotificationRequested)e.Event).ToArray();
        var escalation = Assert.Single(notes, n => n.Subject.StartsWith("Escalation", StringComparison.Ordinal));
        Assert.Equal(Head1, escalation.Recipient);
        Assert.Contains("picking", escalation.Subject);
        Assert.Contains(notes, n => n.Subject.StartsWith("Reminder: Delivery", StringComparison.Ordinal) && n.Recipient == Seller1);
        Assert.All(journal.Where(e => e.Event is NotificationRequested n && n.Subject.StartsWith("Escalation", StringComparison.Ordinal)),
            e => Assert.Equal(CauseKind.Process, e.Cause.Kind));
        Assert.Empty(await ProcessTimersAsync(k));
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task A_step_waits_for_the_invoice_payment_and_starts_a_sub_process()
    {
        var prepayment = ProcessTemplate.Create("prepayment", version: 1, "Prepayment")
            .Step("awaitingPayment", s => s
                .OnEntry(new WaitForEvent("InvoicePaid", "paid"), new StartProcess("contract-approval"))
                .Permit("paid", "paid"))
            .FinalStep("paid")
            .Build();
        var (k, deal) = await DealInProposalAsync(s => s.AddSingleton(prepayment));
        await using var _ = k;
        await k.Session(Admin).Products.DefineAsync("desk", "Standing desk", Money.Of(549.50m, "USD"));

        var process = await k.Session(Seller1).Processes.OpenAsync("prepayment", deal.Id);

        var running = await k.Session(Seller1).Processes.ListForDealAsync(deal.Id);
        Assert.Equal(["contract-approval:draft", "prepayment:awaitingPayment"], running.Select(p => $"{p.TemplateId}:{p.CurrentStep}").Order(StringComparer.Ordinal));
        var invoice = await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new Crm.Kernel.Invoicing.InvoiceLineRequest("desk", 1)]);
        await k.Session(Seller1).Invoices.IssueAsync(invoice.Id);
        Assert.Equal(ProcessStatus.Running, (await k.Session(Seller1).Processes.GetAsync(process.Id)).Status);   // issuing is not paying

        await k.Session(Seller1).Invoices.MarkPaidAsync(invoice.Id);

        process = await k.Session(Seller1).Processes.GetAsync(process.Id);
        Assert.Equal((ProcessStatus.Completed, "paid"), (process.Status, process.CurrentStep));
        var journal = await k.Session(Admin).Journal.ListAsync(0, 10_000);
        var paidStep = Assert.Single(journal, e => e.Event is ProcessStepEntered { Step: "paid" });
        Assert.Equal((CauseKind.Process, "InvoicePaid"), (paidStep.Cause.Kind, paidStep.Cause.Description));
    }

    [Fact]
    public async Task A_trigger_not_permitted_is_rejected_listing_the_permitted_ones()
    {
        var (k, deal) = await DealInProposalAsync();
        await using var _ = k;
        var process = await k.Session(Seller1).Processes.OpenAsync("contract-approval", deal.Id);

        var error = await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Seller1).Processes.FireAsync(process.Id, "approve"));

        Assert.Contains("submit", error.Message);
        Assert.Equal(["submit"], await k.Session(Seller1).Processes.ListPermittedTriggersAsync(process.Id));
    }

    [Fact]
    public async Task Contract_approval_rejection_loops_back_to_draft()
    {
        var (k, deal) = await DealInProposalAsync();
        await using var _ = k;
        var roles = new Dictionary<string, UserId> { ["legal"] = Seller2, ["head"] = Head1 };
        var p = await k.Session(Seller1).Processes.OpenAsync("contract-approval", deal.Id, roles);

        foreach (var trigger in new[] { "submit", "reject", "submit", "approve", "reject", "submit", "approve", "approve" })
        {
            p = await k.Session(Seller1).Processes.FireAsync(p.Id, trigger);
        }

        Assert.Equal(ProcessStatus.Completed, p.Status);
        Assert.Equal(["draft", "legalReview", "draft", "legalReview", "headApproval", "draft", "legalReview", "headApproval", "signed"], p.History.Select(h => h.Step));
        Assert.Contains(await k.Session(Seller2).Tasks.ListAsync(openOnly: false), t => t.Deal == deal.Id);
    }

    [Fact]
    public async Task Zombie_processes_are_listed_for_the_head_and_cancelled_in_bulk_with_a_reason()
    {
        var (k, deal) = await DealInProposalAsync();
        await using var _ = k;
        var waiting = await k.Session(Seller1).Processes.OpenAsync("delivery", deal.Id);
        foreach (var trigger in new[] { "startPicking", "picked", "delivered" })
        {
            waiting = await k.Session(Seller1).Processes.FireAsync(waiting.Id, trigger);
        }

        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Lost);
        var other = await k.DealAsync(Seller1);
        var stalled = await k.Session(Seller1).Processes.OpenAsync("contract-approval", other.Id);
        k.Clock.Advance(Duration.FromDays(10));

        var zombies = await k.Session(Head1).Processes.ListStalledAsync();

        Assert.Equal(2, zombies.Count);
        Assert.Contains("deal " + deal.Id + " is lost", zombies.Single(z => z.Process.Id == waiting.Id).Reason);
        Assert.Contains("was due", zombies.Single(z => z.Process.Id == stalled.Id).Reason);
        Assert.Empty(await k.Session(Head2).Processes.ListStalledAsync());
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Processes.CancelManyAsync([waiting.Id], "cleanup"));

        var before = await k.JournalHeadAsync();
        Assert.Equal(2, await k.Session(Head1).Processes.CancelManyAsync(zombies.Select(z => z.Process.Id).ToArray(), "deal closed / abandoned"));

        var cancelled = (await k.Session(Admin).Journal.ListAsync(before)).Select(e => e.Event).OfType<ProcessCancelled>().ToArray();
        Assert.Equal(2, cancelled.Length);
        Assert.All(cancelled, c => Assert.Equal("deal closed / abandoned", c.Reason));
        Assert.Empty(await k.Session(Head1).Processes.ListStalledAsync());
        Assert.Empty(await ProcessTimersAsync(k));
    }

    [Fact]
    public async Task Running_instances_keep_their_template_version_when_a_new_one_is_deployed()
    {
        var store = new InMemoryCrmStore();
        var v1 = ProcessTemplate.Create("onboarding", 1, "Onboarding").Role("sales")
            .InitialStep("welcome").Step("welcome", s => s.ResponsibleRole("sales").Permit("done", "finished"))
            .FinalStep("finished", _ => { }).Build();
        var v2 = ProcessTemplate.Create("onboarding", 2, "Onboarding").Role("sales")
            .InitialStep("welcome").Step("welcome", s => s.ResponsibleRole("sales").Permit("done", "training"))
            .Step("training", s => s.ResponsibleRole("sales").Permit("done", "finished"))
            .FinalStep("finished", _ => { }).Build();
        await using var first = Create(s => s.AddSingleton<ICrmStore>(store).AddSingleton(v1));
        await first.SetUpOrganizationAsync();
        var deal = await first.DealAsync(Seller1);
        var old = await first.Session(Seller1).Processes.OpenAsync("onboarding", deal.Id);

        await using var upgraded = Create(s => s.AddSingleton<ICrmStore>(store).AddSingleton(v1).AddSingleton(v2));
        var fresh = await upgraded.Session(Seller1).Processes.OpenAsync("onboarding", deal.Id);
        old = await upgraded.Session(Seller1).Processes.FireAsync(old.Id, "done");
        fresh = await upgraded.Session(Seller1).Processes.FireAsync(fresh.Id, "done");

        Assert.Equal((1, "finished", ProcessStatus.Completed), (old.TemplateVersion, old.CurrentStep, old.Status));
        Assert.Equal((2, "training", ProcessStatus.Running), (fresh.TemplateVersion, fresh.CurrentStep, fresh.Status));
    }

    [Fact]
    public async Task Sellers_cannot_drive_processes_of_other_sellers_deals()
    {
        var (k, deal) = await DealInProposalAsync();
        await using var _ = k;
        var p = await k.Session(Seller1).Processes.OpenAsync("delivery", deal.Id);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller3).Processes.FireAsync(p.Id, "startPicking"));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller3).Processes.OpenAsync("delivery", deal.Id));
    }

    private static async Task<List<ScheduledTimer>> ProcessTimersAsync(TestKernel k)
    {
        var timers = new List<ScheduledTimer>();
        await foreach (var t in k.Kernel.Store.ListTimersAsync(k.Tenant))
        {
            if (t.Kind.StartsWith("process", StringComparison.Ordinal))
            {
                timers.Add(t);
            }
        }

        return timers;
    }
}
