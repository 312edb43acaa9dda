using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Rules;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

/// <summary>The acceptance scenario of the rules issue, end to end with a fake clock.</summary>
public sealed class SmallDealScenarioTests
{
    [Fact]
    public async Task Small_deal_offer_within_5_days_with_reminders_digest_exceptions_and_reports()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create(threshold: 10_000m));
        // Monday 2 March 2026, 09:00 UTC. A: offer sent on day 2. B, C (another seller, same head): never.
        // D: too big for the rule. E: flagged Complex, approved, offer sent in the extension. F: flagged "other", rejected.
        var a = await Open(k, Seller1, 5_000m, "A");
        var b = await Open(k, Seller1, 9_999m, "B");
        var c = await Open(k, Seller2, 8_000m, "C");
        var d = await Open(k, Seller1, 50_000m, "D");
        var e = await Open(k, Seller1, 3_000m, "E");
        var f = await Open(k, Seller1, 4_000m, "F");

        // 1. The owner is told at once, for small deals only.
        var inbox = await k.Session(Seller1).Inbox.ListAsync();
        Assert.Equal(4, inbox.Count(n => n.Subject == "Prepare a commercial offer"));
        Assert.Contains("send it within 5 days", inbox[0].Body);
        Assert.Single(await k.Session(Seller2).Inbox.ListAsync(), n => n.Subject == "Prepare a commercial offer");
        Assert.Empty(await k.Session(Seller1).Rules.ListInstancesAsync(d.Id));

        // 4. Exceptions: E asks with a listed reason and is approved; F asks with "other" and is rejected.
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Rules.RequestExceptionAsync(e.Id, "because"));
        var eInstance = Assert.Single(await k.Session(Seller1).Rules.RequestExceptionAsync(e.Id, "special payment terms"));
        var fInstance = Assert.Single(await k.Session(Seller1).Rules.RequestExceptionAsync(f.Id, "other", "client's lawyers need a month"));
        Assert.Contains(await k.Session(Head1).Inbox.ListAsync(), n => n.Subject.StartsWith("Approval request: Complex", StringComparison.Ordinal) && n.Deal == e.Id);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Rules.DecideExceptionAsync(eInstance.Id, approve: true));
        var approved = await k.Session(Head1).Rules.DecideExceptionAsync(eInstance.Id, approve: true);
        await k.Session(Head1).Rules.DecideExceptionAsync(fInstance.Id, approve: false);
        Assert.Equal("yes", (await k.Session(Seller1).Deals.GetAsync(e.Id)).Classifiers["RequestApproved"]);   // the seller sees it on the deal
        Assert.Equal("no", (await k.Session(Seller1).Deals.GetAsync(f.Id)).Classifiers["RequestApproved"]);
        Assert.Equal("special payment terms", (await k.Session(Seller1).Deals.GetAsync(e.Id)).Classifiers["Complex"]);
        Assert.True(approved.Deadline > eInstance.Deadline);

        // Two weeks pass, hour by hour; sellers act on some days.
        var start = await k.JournalHeadAsync();
        for (var hour = 1; hour <= 24 * 14; hour++)
        {
            k.Clock.Advance(Duration.FromHours(1));
            if (hour == 25)
            {
                await k.Session(Seller1).Deals.SetFieldAsync(a.Id, "offerSent", "2026-03-03");
            }

            if (hour == 24 * 8)
            {
                await k.Session(Seller1).Deals.SetFieldAsync(e.Id, "offerSent", "2026-03-10");
            }

            await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        }

        var journal = await k.Session(Admin).Journal.ListAsync(start, 100_000);
        var notes = journal.Where(x => x.Event is NotificationRequested).Select(x => ((NotificationRequested)x.Event, x.OccurredAt)).ToArray();

        // 2. Reminders: the next working day and on day 4, each only while the offer is not sent.
        Reminders(notes, "A").Single();                     // Tuesday 09:00, before A's offer at 10:00; the day-4 one is skipped
        Assert.Equal(2, Reminders(notes, "B").Count());
        Assert.All(Reminders(notes, "B"), r => Assert.Equal(Seller1, r.Recipient));
        Assert.Equal(2, Reminders(notes, "C").Count());

        // 3. Violations reach the head through one digest per day, never one message each.
        Assert.DoesNotContain(notes, n => n.Item1.Subject.StartsWith("Violation", StringComparison.Ordinal));
        var digest = Assert.Single(notes, n => n.Item1.Recipient == Head1 && n.Item1.Subject.StartsWith("Rule violations", StringComparison.Ordinal));
        Assert.Equal(3, digest.Item1.Body.Split('\n').Length);
        Assert.Contains("'B'", digest.Item1.Body);
        Assert.Contains("'C'", digest.Item1.Body);
        Assert.Contains("'F'", digest.Item1.Body);
        Assert.Equal(Instant.FromUtc(2026, 3, 10, 9, 0), digest.OccurredAt); // violations on Monday 9 March, digest next working day 09:00

        // 5. Reports of the rule.
        var compliance = await k.Session(Head1).Rules.GetComplianceAsync(new RuleId(SmallDealRule.Id));
        Assert.Equal(new[] { a.Id, e.Id }.OrderBy(x => x.Value), compliance.Met.OrderBy(x => x.Value));
        Assert.Equal(new[] { b.Id, c.Id, f.Id }.OrderBy(x => x.Value), compliance.Violated.OrderBy(x => x.Value));
        Assert.Empty(compliance.Pending);
        Assert.Equal(2, compliance.Exceptions.Count);
        Assert.Contains(compliance.Exceptions, x => x.Deal == e.Id && x.Reason == "special payment terms" && x.Status == ExceptionStatus.Approved);
        Assert.Contains(compliance.Exceptions, x => x.Deal == f.Id && x.Reason == "other: client's lawyers need a month" && x.Status == ExceptionStatus.Rejected);
        var s1 = compliance.Sellers.Single(s => s.Seller == Seller1);
        Assert.Equal((4, 2, 0.5m, true), (s1.Deals, s1.Flagged, s1.Share, s1.Suspicious));
        Assert.False(compliance.Sellers.Single(s => s.Seller == Seller2).Suspicious);

        // Every rule instance ended in exactly one outcome.
        var outcomes = (await k.Session(Admin).Journal.ListAsync(0, 100_000)).Select(x => x.Event).OfType<RuleOutcomeRecorded>().GroupBy(o => o.Instance).ToArray();
        Assert.Equal(5, outcomes.Length);
        Assert.All(outcomes, g => Assert.Single(g));
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task Approval_can_stop_the_rule_for_the_deal_instead()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create(onApproval: ExceptionApproval.StopRule));
        var deal = await Open(k, Seller1, 1_000m, "X");
        var instance = Assert.Single(await k.Session(Seller1).Rules.RequestExceptionAsync(deal.Id, "custom delivery"));

        var decided = await k.Session(Head1).Rules.DecideExceptionAsync(instance.Id, approve: true);
        k.Clock.Advance(Duration.FromDays(20));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());

        Assert.Equal(RuleOutcome.Exempted, decided.Outcome);
        var compliance = await k.Session(Admin).Rules.GetComplianceAsync(new RuleId(SmallDealRule.Id));
        Assert.Equal([deal.Id], compliance.Exempted);
        Assert.Empty(compliance.Violated);
    }

    [Fact]
    public async Task Threshold_is_configurable()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create(threshold: 1_000m));
        var small = await Open(k, Seller1, 999m, "small");
        var notSmall = await Open(k, Seller1, 5_000m, "not small");
        Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(small.Id));
        Assert.Empty(await k.Session(Seller1).Rules.ListInstancesAsync(notSmall.Id));
    }

    private static IEnumerable<NotificationRequested> Reminders((NotificationRequested, Instant)[] notes, string title) =>
        notes.Select(n => n.Item1).Where(n => n.Subject == "Reminder: offer for " + title);

    private static async Task<Deal> Open(TestKernel k, UserId seller, decimal amount, string title)
    {
        var client = await k.ClientAsync(seller, "Client " + title);
        return await k.Session(seller).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(amount, "USD")) { Title = title });
    }
}
