using Crm.Abstractions;
using Crm.Kernel.Reports;
using NodaTime;

namespace Crm.Kernel.Tests.Reports;

/// <summary>Small fixed and random report snapshots.</summary>
internal static class ReportFixtures
{
    public static readonly PipelineDefinition Pipeline = new(new PipelineId("p"), "P",
    [
        new StageDefinition(new StageId("lead"), "Lead") { Norm = Duration.FromDays(5) },
        new StageDefinition(new StageId("offer"), "Offer"),
        new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
    ]);

    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 5, 9, 0);

    /// <summary>Five deals of two sellers, one in EUR, a client name with a comma and quotes.</summary>
    public static ReportData Fixed()
    {
        var b = new ReportDataBuilder().AddStages(Pipeline)
            .AddUser(new UserId("ola"), new TeamId("north"), "Ola Nordmann").AddUser(new UserId("kari"), new TeamId("south"), "Kari Hansen")
            .AddTeam(new TeamId("north"), "North team").AddTeam(new TeamId("south"), "South team")
            .AddClient(new ClientId("c1"), "North", "Oslo", "Retail", T0, "Fjord Fish AS")
            .AddClient(new ClientId("c2"), "South", "Bergen, \"Centre\"", "Software", T0, "Bryggen Soft")
            .AddClient(new ClientId("c3"), "North", "Oslo", "Retail", T0);                 // no name: reports show the id
        Deal(b, "d1", "c1", "ola", 1000m, "USD", ["lead", "offer", "won"]);
        Deal(b, "d2", "c2", "ola", 500m, "USD", ["lead", "lost"]);
        Deal(b, "d3", "c2", "kari", 2500m, "USD", ["lead", "offer", "won"]);
        Deal(b, "d4", "c3", "kari", 800m, "EUR", ["lead", "offer", "won"]);
        Deal(b, "d5", "c3", "kari", 300m, "USD", ["lead"]);
        b.AddTarget(new UserId("ola"), new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31), Money.Of(5000m, "USD"));
        return b.Build();
    }

    public static void Deal(ReportDataBuilder b, string id, string client, string owner, decimal amount, string currency, string[] path, int daysPerStage = 3)
    {
        var stays = new List<(StageId, Instant, Instant?)>();
        for (var i = 0; i < path.Length; i++)
        {
            stays.Add((new StageId(path[i]), T0 + Duration.FromDays(i * daysPerStage), i + 1 < path.Length ? T0 + Duration.FromDays((i + 1) * daysPerStage) : null));
        }

        var outcome = path[^1] switch { "won" => DealOutcome.Won, "lost" => DealOutcome.Lost, _ => DealOutcome.Open };
        b.AddDeal(new DealId(id), new ClientId(client), new UserId(owner), Money.Of(amount, currency), "web", outcome, T0,
            outcome == DealOutcome.Open ? null : T0 + Duration.FromDays((path.Length - 1) * daysPerStage), stays);
    }

    /// <summary>A random snapshot: each byte of the script is one deal going some way along the path.</summary>
    public static ReportData Random(byte[] script, PipelineDefinition? moreStages = null)
    {
        var b = new ReportDataBuilder().AddStages(Pipeline);
        if (moreStages is not null)
        {
            b.AddStages(moreStages);
        }

        for (var i = 0; i < Math.Min(script.Length, 60); i++)
        {
            var op = script[i];
            string[] path = (op % 5) switch
            {
                0 => ["lead"],
                1 => ["lead", "lost"],
                2 => ["lead", "offer"],
                3 => ["lead", "offer", "lost"],
                _ => ["lead", "offer", "won"],
            };
            b.AddClient(new ClientId("c" + (op % 7)), "R" + (op % 3), null, null, T0);
            Deal(b, "d" + i, "c" + (op % 7), op % 2 == 0 ? "ola" : "kari", 10m + op, op % 4 == 0 ? "EUR" : "USD", path, 1 + op % 4);
        }

        b.AddTarget(new UserId("ola"), new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31), Money.Of(100m + (script.Length * 7), "USD"));
        return b.Build();
    }
}
