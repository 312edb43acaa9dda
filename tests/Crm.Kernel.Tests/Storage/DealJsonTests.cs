using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;
using FsCheck.Xunit;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Storage;

/// <summary>
/// The hand-written deal JSON (<see cref="DealJson"/>) is byte for byte the serializer's, so documents written before
/// and after it read the same and a deal's JSON does not depend on which path wrote it.
/// </summary>
public sealed class DealJsonTests
{
    private static readonly Instant Base = Instant.FromUtc(2026, 3, 1, 9, 30);

    [Property(MaxTest = 500)]
    public bool A_generated_deal_is_written_as_the_serializer_writes_it(
        string? title, string? source, decimal amount, decimal? probability, short? closeDays, string[]? fieldKeys, string?[]? values,
        byte visits, string? reference, FsCheck.DoNotSize<long> ticks)
    {
        var fields = new Dictionary<string, string>();
        var keys = fieldKeys ?? [];
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] is { } key)
            {
                fields[key] = values is { Length: > 0 } ? values[i % values.Length]! : key;
            }
        }

        var opened = Base + Duration.FromTicks(ticks.Item % (Duration.FromDays(365 * 50).BclCompatibleTicks));
        var history = Enumerable.Range(0, visits % 6).Select(v => new StageVisit(
            new StageId($"stage-{v}"),
            opened + Duration.FromMinutes(v),
            v == (visits % 6) - 1 ? null : opened + Duration.FromMinutes(v + 1),
            v % 2 == 0 ? new UserId("seller") : null,
            (v % 4) switch
            {
                0 => Cause.Manual,
                1 => Cause.Goal(new GoalId("goal-1"), reference),
                2 => Cause.Rule(reference ?? "rule", null),
                _ => Cause.System(reference),
            })).ToList();
        var deal = new Deal
        {
            Id = new DealId("deal-1"),
            Client = new ClientId("client-1"),
            Pipeline = new PipelineId("sales"),
            Stage = new StageId(history.Count > 0 ? history[^1].Stage.Value : "new"),
            Owner = new UserId("seller"),
            Amount = new Money(amount, (visits % 3) switch { 0 => "EUR", 1 => "RUB", _ => "USD" }),
            Title = title,
            Source = source,
            WinProbability = probability,
            ExpectedClose = closeDays is { } days ? new LocalDate(2026, 6, 30).PlusDays(days) : null,
            Fields = fields,
            Classifiers = fields.Count % 2 == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["segment"] = title ?? "\"a\" < b" },
            AchievedGoals = history.Count > 2 ? [new GoalId("goal-1"), new GoalId("goal-2")] : [],
            Status = (DealStatus)(visits % 3),
            OpenedAt = opened,
            ClosedAt = visits % 3 == 0 ? null : opened + Duration.FromDays(3),
            History = history,
            // Issue 20: lines, with a product id that may be null or need escaping; none on most deals (no "lines" written).
            Lines = visits % 4 == 0 ? Enumerable.Range(0, visits % 5).Select(i => new Crm.Abstractions.Events.DealLine(
                i == 0 ? title! : source ?? "desk", amount, new Money(-amount, "EUR"), probability ?? i)).ToList() : null,
        };

        return DealJson.Write(deal) == JsonSerializer.Serialize(deal, CrmJson.Options);
    }

    [Fact]
    public void Text_that_needs_escaping_and_unusual_values_are_written_as_the_serializer_writes_them()
    {
        var deal = NewDeal(new Money(-0.000100m, "EUR")) with
        {
            Id = new DealId("deal-ü"),
            Title = "Сделка \"№1\" <b>&\u0001\t\uD83D\uDE00",
            Fields = new Dictionary<string, string> { ["ключ"] = "значение", ["</script>"] = "\u2028" },
            Status = (DealStatus)7,
            OpenedAt = Instant.FromUtc(-50, 1, 1, 0, 0),
            ClosedAt = Instant.MaxValue,
            History = [new StageVisit(new StageId("new"), Instant.MinValue, null, null, new Cause((CauseKind)42, "r", "d"))],
        };

        Assert.Equal(JsonSerializer.Serialize(deal, CrmJson.Options), DealJson.Write(deal));
    }

    [Fact]
    public void The_deal_kind_writes_through_the_hand_written_json_and_reads_it_back()
    {
        var deal = NewDeal(new Money(1200m, "EUR")) with
        {
            OpenedAt = Base,
            History = [new StageVisit(new StageId("new"), Base, null, new UserId("seller"), Cause.Manual)],
        };

        var json = Kinds.Deal.Write(deal);
        var read = (Deal)Kinds.Deal.Read(new Crm.Abstractions.Storage.StoredDocument("deal", "deal-1", 3, json));

        Assert.Equal(DealJson.Write(deal), json);
        Assert.Equal(deal with { Version = 3, History = read.History, Fields = read.Fields, Classifiers = read.Classifiers, AchievedGoals = read.AchievedGoals }, read);
        Assert.Equal(deal.History, read.History);
    }

    private static Deal NewDeal(Money amount) => new()
    {
        Id = new DealId("deal-1"),
        Client = new ClientId("client-1"),
        Pipeline = new PipelineId("sales"),
        Stage = new StageId("new"),
        Owner = new UserId("seller"),
        Amount = amount,
    };

    [Fact]
    public void Every_stored_property_of_a_deal_is_one_the_hand_written_json_knows()
    {
        // A property added to Deal must be added to DealJson too (the property test above only sees it when set).
        var stored = typeof(Deal).GetProperties()
            .Where(p => p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), false).Length == 0)
            .Select(p => p.Name)
            .Order(StringComparer.Ordinal);
        var visit = typeof(StageVisit).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["AchievedGoals", "Amount", "Classifiers", "Client", "ClosedAt", "ExpectedClose", "Fields", "History", "Id", "Lines", "OpenedAt", "Owner", "Pipeline", "Source", "Stage", "Status", "Title", "WinProbability"],
            stored);
        Assert.Equal(["By", "Cause", "EnteredAt", "LeftAt", "Stage"], visit);
    }
}
