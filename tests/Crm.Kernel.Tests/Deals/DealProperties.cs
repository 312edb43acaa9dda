using Crm.Abstractions;
using Crm.Kernel.Deals;
using FsCheck.Xunit;
using NodaTime;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Deals;

/// <summary>Invariants under random command sequences, valid and invalid, from several users.</summary>
public sealed class DealProperties
{
    private static readonly StageId[] Stages = [Unsorted, Lead, Qualified, Proposal, Negotiation, Won, Lost];
    private static readonly GoalId[] Goals = [new("contacted"), new("route-north"), new("requirements-received"), new("purchase-prepared"), new("refused"), new("postponed")];
    private static readonly UserId[] Users = [Seller1, Seller2, Seller3, Head1];

    [Property(MaxTest = 15)]
    public bool Deal_is_always_in_exactly_one_stage_with_contiguous_history(byte[] ops) => Run(ops, async (k, deals) =>
    {
        var pipeline = SalesPipeline();
        foreach (var deal in deals)
        {
            var last = deal.History[^1];
            if (deal.Stage != last.Stage || last.LeftAt is not null || pipeline.FindStage(deal.Stage) is null)
            {
                return false;
            }

            for (var i = 0; i + 1 < deal.History.Count; i++)
            {
                if (deal.History[i].LeftAt != deal.History[i + 1].EnteredAt || deal.History[i].EnteredAt > deal.History[i].LeftAt)
                {
                    return false;
                }
            }
        }

        return await Task.FromResult(true);
    });

    [Property(MaxTest = 15)]
    public bool Replaying_the_journal_reproduces_the_state(byte[] ops) => Run(ops, async (k, _) =>
        (await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);

    [Property(MaxTest = 15)]
    public bool Sellers_queries_never_return_another_sellers_records(byte[] ops) => Run(ops, async (k, _) =>
    {
        foreach (var seller in new[] { Seller1, Seller2, Seller3 })
        {
            var session = k.Session(seller);
            if ((await session.Deals.ListAsync()).Any(d => d.Owner != seller)
                || (await session.Clients.ListAsync()).Any(c => c.Owner != seller)
                || (await session.Tasks.ListAsync(openOnly: false)).Any(t => t.Assignee != seller)
                || (await session.Deals.GetBoardAsync(Sales)).Columns.SelectMany(c => c.Cards).Any(c => c.Deal.Owner != seller))
            {
                return false;
            }
        }

        return true;
    });

    [Property(MaxTest = 15)]
    public bool Rejected_commands_never_change_state(byte[] ops) => Run(ops, (_, _) => Task.FromResult(true), checkRejections: true);

    [Property(MaxTest = 15)]
    public bool Every_report_over_a_sellers_session_equals_the_heads_and_the_admins_filtered_to_that_seller(byte[] ops) => Run(ops, async (k, _) =>
    {
        var admin = await k.Session(Admin).Reports.SnapshotAsync();
        var north = await k.Session(Head1).Reports.SnapshotAsync();
        foreach (var seller in new[] { Seller1, Seller2, Seller3 })
        {
            var own = await k.Session(seller).Reports.SnapshotAsync();
            var only = new Crm.Kernel.Reports.ReportFilter { Owners = new HashSet<string> { seller.Value } };
            if (own.Owners.Any(o => o != seller.Value) || !SameReports(own, null, admin, only)
                || (seller != Seller3 && !SameReports(own, null, north, only)))
            {
                return false;
            }
        }

        return true;
    });

    private static bool SameReports(Crm.Kernel.Reports.ReportData a, Crm.Kernel.Reports.ReportFilter? fa, Crm.Kernel.Reports.ReportData b, Crm.Kernel.Reports.ReportFilter? fb)
    {
        var q = new DateInterval(Start.InUtc().Date, Start.InUtc().Date.PlusDays(120));
        Crm.Kernel.Reports.KpiDefinition[] kpis = [new("won", Crm.Kernel.Reports.KpiMeasure.WonRevenue, 1m, "USD"), new("conversion", Crm.Kernel.Reports.KpiMeasure.Conversion, 1m)];
        Crm.Kernel.Reports.KpiPlan[] plans = [.. new[] { Seller1, Seller2, Seller3 }.SelectMany(s => new Crm.Kernel.Reports.KpiPlan[] { new(s, "won", q, 1000m), new(s, "conversion", q, 0.5m) })];
        return Crm.Kernel.Reports.SalesReports.Outcomes(a, fa) == Crm.Kernel.Reports.SalesReports.Outcomes(b, fb)
            && Crm.Kernel.Reports.SalesReports.Funnel(a, fa).Stages.Select(s => (s.Stage, s.Deals, s.ConversionToNext))
                .SequenceEqual(Crm.Kernel.Reports.SalesReports.Funnel(b, fb).Stages.Select(s => (s.Stage, s.Deals, s.ConversionToNext)))
            && Crm.Kernel.Reports.SalesReports.WonRevenue(a, fa).ByCurrency.SequenceEqual(Crm.Kernel.Reports.SalesReports.WonRevenue(b, fb).ByCurrency)
            && Crm.Kernel.Reports.SalesReports.WonCycle(a, fa) == Crm.Kernel.Reports.SalesReports.WonCycle(b, fb)
            && Crm.Kernel.Reports.Forecasts.Velocity(a, "USD", fa) == Crm.Kernel.Reports.Forecasts.Velocity(b, "USD", fb)
            && Crm.Kernel.Reports.SalesReports.Abc(a, "USD", fa).Clients.SequenceEqual(Crm.Kernel.Reports.SalesReports.Abc(b, "USD", fb).Clients)
            && Crm.Kernel.Reports.ClientReports.FirstSaleCycle(a, fa) == Crm.Kernel.Reports.ClientReports.FirstSaleCycle(b, fb)
            && Crm.Kernel.Reports.SalesReports.Breakdown(a, Crm.Kernel.Reports.Dimension.Region, "USD", fa).Rows.SequenceEqual(Crm.Kernel.Reports.SalesReports.Breakdown(b, Crm.Kernel.Reports.Dimension.Region, "USD", fb).Rows)
            && Crm.Kernel.Reports.KpiMonitor.Run(a, kpis, plans, fa).SelectMany(r => r.Values).SequenceEqual(Crm.Kernel.Reports.KpiMonitor.Run(b, kpis, plans, fb).SelectMany(r => r.Values));
    }

    private static bool Run(byte[] ops, Func<TestKernel, IReadOnlyList<Deal>, Task<bool>> check, bool checkRejections = false) =>
        RunAsync(ops, check, checkRejections).GetAwaiter().GetResult();

    private static async Task<bool> RunAsync(byte[] ops, Func<TestKernel, IReadOnlyList<Deal>, Task<bool>> check, bool checkRejections)
    {
        await using var k = await WithOrganizationAsync();
        var ids = new List<DealId>();
        var rng = new Random(ops.Length);
        foreach (var op in ops.Take(40))
        {
            var user = Users[rng.Next(Users.Length)];
            var session = k.Session(user);
            var head = await k.JournalHeadAsync();
            var snapshot = await k.Session(Admin).Deals.ListAsync();
            try
            {
                switch (op % 8)
                {
                    case 0 or 1 when ids.Count < 3:
                        ids.Add((await k.DealAsync(user == Head1 ? Seller1 : user, rng.Next(0, 5000))).Id);
                        break;
                    case 1:
                        await session.Deals.MoveAsync(ids[rng.Next(ids.Count)], Stages[rng.Next(Stages.Length)]);
                        break;
                    case 2:
                        await session.Deals.AchieveGoalAsync(ids[rng.Next(ids.Count)], Goals[rng.Next(Goals.Length)]);
                        break;
                    case 3:
                        await session.Deals.SetFieldAsync(ids[rng.Next(ids.Count)], "budget", rng.Next(2) == 0 ? "10k" : null);
                        break;
                    case 4:
                        await session.Deals.ChangeAmountAsync(ids[rng.Next(ids.Count)], Money.Of(rng.Next(-10, 10), "USD"));
                        break;
                    case 5:
                        await session.Deals.AssignAsync(ids[rng.Next(ids.Count)], Users[rng.Next(Users.Length)]);
                        break;
                    case 6:
                        k.Clock.Advance(Duration.FromHours(rng.Next(1, 48)));
                        break;
                    default:
                        var id = ids[rng.Next(ids.Count)];
                        await session.Deals.MoveAsync(id, Stages[rng.Next(Stages.Length)], expectedVersion: rng.Next(1, 4));
                        break;
                }
            }
            catch (CrmException)
            {
                if (checkRejections)
                {
                    var after = await k.Session(Admin).Deals.ListAsync();
                    if (head != await k.JournalHeadAsync() || !snapshot.Select(d => (d.Id, d.Version)).SequenceEqual(after.Select(d => (d.Id, d.Version))))
                    {
                        return false;
                    }
                }
            }
            catch (ArgumentOutOfRangeException) when (ids.Count == 0)
            {
                // No deal yet for an operation that needs one: nothing to do.
            }
        }

        return await check(k, await k.Session(Admin).Deals.ListAsync());
    }
}
