using Crm.Abstractions;
using Crm.Kernel.Reports;
using NodaTime;

namespace Crm.Benchmarks.Reports;

/// <summary>One generated deal with its stays, in the shape both the snapshot builder and the SQLite seeding take.</summary>
internal readonly record struct GeneratedDeal(int Index, int Client, int Owner, decimal Amount, bool Euro, DealOutcome Outcome, long Opened, long Closed, int FirstStay, int StayCount);

/// <summary>
/// A deterministic sales history: <c>deals</c> deals over 100,000 clients and 50 sellers, ~<c>transitions</c> stage
/// stays in total (each deal 1…2k−1 stays, k = transitions ÷ deals), walking lead → qualify → proposal → negotiation
/// with steps back, ending won, lost or still open. 10 % of the deals are in EUR, the rest in USD.
/// </summary>
internal sealed class ReportDataGenerator
{
    public const int ClientCount = 100_000;
    public const int OwnerCount = 50;
    public static readonly PipelineDefinition Pipeline = new(new PipelineId("sales"), "Sales",
    [
        new StageDefinition(new StageId("lead"), "Lead"),
        new StageDefinition(new StageId("qualify"), "Qualify"),
        new StageDefinition(new StageId("proposal"), "Proposal"),
        new StageDefinition(new StageId("negotiation"), "Negotiation"),
        new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
    ]);

    private static readonly long Start = Instant.FromUtc(2025, 1, 1, 0, 0).ToUnixTimeTicks();

    public ReportDataGenerator(int deals, int transitions)
    {
        var random = new Random(42);
        var perDeal = Math.Max(1, transitions / deals);
        Deals = new GeneratedDeal[deals];
        var stages = new List<byte>(transitions + deals);
        var entered = new List<long>(transitions + deals);
        for (var d = 0; d < deals; d++)
        {
            var k = 1 + random.Next(2 * perDeal - 1);
            var first = stages.Count;
            var at = Start + random.NextInt64(365 * NodaConstants.TicksPerDay);
            var opened = at;
            byte stage = 0;
            var outcome = DealOutcome.Open;
            for (var j = 0; j < k; j++)
            {
                if (j > 0)
                {
                    at += NodaConstants.TicksPerDay + random.NextInt64(20 * NodaConstants.TicksPerDay);
                    if (j == k - 1 && random.NextDouble() < 0.6)
                    {
                        var won = random.NextDouble() < 0.55;
                        stage = won ? (byte)4 : (byte)5;
                        outcome = won ? DealOutcome.Won : DealOutcome.Lost;
                    }
                    else if (stage < 3 && random.NextDouble() < 0.75)
                    {
                        stage++;
                    }
                    else if (stage > 0)
                    {
                        stage--;
                    }
                }

                stages.Add(stage);
                entered.Add(at);
            }

            var amount = Math.Round((decimal)(1_000 + random.NextDouble() * 99_000), 2);
            Deals[d] = new GeneratedDeal(d, random.Next(ClientCount), random.Next(OwnerCount), amount, random.Next(10) == 0, outcome,
                opened, outcome == DealOutcome.Open ? -1 : at, first, k);
        }

        StayStage = stages.ToArray();
        StayEntered = entered.ToArray();
    }

    public GeneratedDeal[] Deals { get; }

    public byte[] StayStage { get; }

    public long[] StayEntered { get; }

    public static string DealId(int index) => $"d{index:D7}";

    public static string ClientId(int index) => $"c{index:D6}";

    public static string OwnerId(int index) => $"seller{index:D2}";

    public static Instant Registered(int client) => Instant.FromUnixTimeTicks(Start - (client + 1) * NodaConstants.TicksPerMinute);

    /// <summary>The stay <paramref name="j"/> of a deal: stage index, entered and left ticks (left −1 for the last).</summary>
    public (byte Stage, long Entered, long Left) Stay(in GeneratedDeal deal, int j)
    {
        var s = deal.FirstStay + j;
        return (StayStage[s], StayEntered[s], j + 1 < deal.StayCount ? StayEntered[s + 1] : -1);
    }

    /// <summary>The in-memory snapshot, through the public builder (deal ids in ordinal order, as the session's snapshot sorts them).</summary>
    public ReportData Snapshot()
    {
        var builder = new ReportDataBuilder().AddStages(Pipeline);
        for (var o = 0; o < OwnerCount; o++)
        {
            builder.AddUser(new UserId(OwnerId(o)), null);
        }

        for (var c = 0; c < ClientCount; c++)
        {
            builder.AddClient(new ClientId(ClientId(c)), null, null, null, Registered(c));
        }

        foreach (var deal in Deals)
        {
            builder.AddDeal(new DealId(DealId(deal.Index)), new ClientId(ClientId(deal.Client)), new UserId(OwnerId(deal.Owner)),
                Money.Of(deal.Amount, deal.Euro ? "EUR" : "USD"), null, deal.Outcome, Instant.FromUnixTimeTicks(deal.Opened),
                deal.Closed < 0 ? null : Instant.FromUnixTimeTicks(deal.Closed), Stays(deal));
        }

        return builder.Build();
    }

    private IEnumerable<(StageId, Instant, Instant?)> Stays(GeneratedDeal deal)
    {
        for (var j = 0; j < deal.StayCount; j++)
        {
            var (stage, entered, left) = Stay(deal, j);
            yield return (Pipeline.Stages[stage].Id, Instant.FromUnixTimeTicks(entered), left < 0 ? null : Instant.FromUnixTimeTicks(left));
        }
    }
}
