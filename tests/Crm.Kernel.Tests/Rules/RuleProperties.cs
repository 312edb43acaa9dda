using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Journal;
using Crm.Kernel.Rules;
using FsCheck.Xunit;
using NodaTime;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

/// <summary>The rule guarantees under random behaviour of sellers and heads over three simulated weeks.</summary>
public sealed class RuleProperties
{
    [Property(MaxTest = 12)]
    public bool Every_rule_instance_ends_in_exactly_one_outcome(byte[] script) => Run(script, (journal, _) =>
    {
        var triggered = journal.Select(e => e.Event).OfType<RuleTriggered>().Select(t => t.Instance).ToHashSet();
        var outcomes = journal.Select(e => e.Event).OfType<RuleOutcomeRecorded>().GroupBy(o => o.Instance).ToDictionary(g => g.Key, g => g.Count());
        return triggered.SetEquals(outcomes.Keys) && outcomes.Values.All(c => c == 1);
    });

    [Property(MaxTest = 12)]
    public bool A_scheduled_action_never_fires_after_its_unless_became_true(byte[] script) => Run(script, (journal, titles) =>
    {
        foreach (var (deal, title) in titles)
        {
            var sent = journal.FirstOrDefault(e => e.Event is DealFieldSet { Name: "offerSent" } f && f.Deal == deal)?.Position;
            var reminders = journal.Where(e => e.Event is NotificationRequested n && n.Subject == "Reminder: offer for " + title).Select(e => e.Position);
            if (sent is { } position && reminders.Any(r => r > position))
            {
                return false;
            }
        }

        return true;
    });

    private static bool Run(byte[] script, Func<IReadOnlyList<JournalEntry>, Dictionary<DealId, string>, bool> check) =>
        RunAsync(script, check).GetAwaiter().GetResult();

    private static async Task<bool> RunAsync(byte[] script, Func<IReadOnlyList<JournalEntry>, Dictionary<DealId, string>, bool> check)
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Rules.DefineAsync(SmallDealRule.Create(onApproval: script.Length % 2 == 0 ? ExceptionApproval.ExtendDeadline : ExceptionApproval.StopRule));
        var titles = new Dictionary<DealId, string>();
        var deals = new List<(DealId Id, UserId Owner)>();
        // Owners and amounts come from the script's last bytes (not a Random seeded from it), so FsCheck's shrinking
        // of the script shrinks the set-up too.
        var sellers = new[] { Seller1, Seller2, Seller3 };
        int Byte(int fromEnd) => script.Length > fromEnd ? script[script.Length - 1 - fromEnd] : fromEnd * 37;
        for (var i = 0; i < 4; i++)
        {
            var owner = sellers[Byte(i) % sellers.Length];
            var amount = 1 + ((Byte(4 + i) * 256) + Byte(8 + i)) % 19_999;
            var client = await k.ClientAsync(owner, $"P{i} {Guid.NewGuid():N}");
            var deal = await k.Session(owner).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(amount, "USD")) { Title = "P" + i });
            titles[deal.Id] = "P" + i;
            deals.Add((deal.Id, owner));
        }

        var steps = script.Take(30).ToArray();
        for (var hour = 0; hour < 24 * 21; hour++)
        {
            k.Clock.Advance(Duration.FromHours(1));
            if (hour % 12 == 0 && hour / 12 < steps.Length)
            {
                var op = steps[hour / 12];
                var (id, owner) = deals[op % deals.Count];
                try
                {
                    switch (op % 5)
                    {
                        case 0:
                            await k.Session(owner).Deals.SetFieldAsync(id, "offerSent", "yes");
                            break;
                        case 1:
                            await k.Session(owner).Rules.RequestExceptionAsync(id, op % 2 == 0 ? "custom delivery" : "other", "needs legal review");
                            break;
                        case 2:
                            var pending = (await k.Session(Admin).Rules.ListInstancesAsync(id)).FirstOrDefault(r => r.ExceptionStatus == ExceptionStatus.Pending);
                            if (pending is not null)
                            {
                                await k.Session(Admin).Rules.DecideExceptionAsync(pending.Id, approve: op % 3 != 0);
                            }

                            break;
                        case 3:
                            await k.Session(owner).Deals.MoveAsync(id, op % 2 == 0 ? Proposal : Lost);
                            break;
                        default:
                            await k.Session(owner).Deals.SetFieldAsync(id, "note", "touched");
                            break;
                    }
                }
                catch (CrmException)
                {
                    // A refused step (e.g. no running rule to ask an exception under) is part of random behaviour.
                }
            }

            await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        }

        var journal = await k.Session(Admin).Journal.ListAsync(0, 100_000);
        return check(journal, titles);
    }
}
