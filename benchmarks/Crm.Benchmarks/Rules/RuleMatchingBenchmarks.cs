using Crm.Abstractions.Automation;
using BenchmarkDotNet.Attributes;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Rules;

namespace Crm.Benchmarks.Rules;

/// <summary>
/// Domain events matched against 100 active rules (indexed by trigger event type), side by side with a hand-written
/// switch doing the same matching over pre-parsed thresholds. Both count the rules each event starts.
/// </summary>
[MemoryDiagnoser]
public class RuleMatchingBenchmarks
{
    private const int Events = 10_000;
    private static readonly string[] Triggers = ["DealOpened", "DealStageChanged", "GoalAchieved", "DealFieldSet", "DealAmountChanged", "DealOwnerChanged", "InvoicePaid", "OfferSent", "DealClassifierSet", "ActivityLogged"];
    private static readonly string[] Regions = ["North", "South", "East", "West"];
    private CompiledRules _rules = null!;
    private (string Type, RuleSubject Subject)[] _events = null!;
    private decimal[][] _thresholds = null!;
    private string[][] _regions = null!;

    [GlobalSetup]
    public void Setup()
    {
        // 100 rules, 10 per trigger: amount below a threshold, and (for half of them) the client in a region.
        var rules = new List<RuleDefinition>();
        _thresholds = new decimal[Triggers.Length][];
        _regions = new string[Triggers.Length][];
        for (var t = 0; t < Triggers.Length; t++)
        {
            _thresholds[t] = new decimal[10];
            _regions[t] = new string[10];
            for (var i = 0; i < 10; i++)
            {
                var threshold = 1_000m * (i + 1);
                var region = i % 2 == 0 ? Regions[(t + i) % Regions.Length] : null;
                _thresholds[t][i] = threshold;
                _regions[t][i] = region!;
                Condition criteria = new FieldCompare("deal.amount", Comparison.LessThan, threshold);
                if (region is not null)
                {
                    criteria = new AllOf([criteria, new FieldEquals("client.region", region)]);
                }

                rules.Add(RuleDefinition.Create($"r{t}-{i}", $"Rule {t}-{i}", Triggers[t]).Criteria(criteria).Then(new SetField("deal.field.x", "y")).Build());
            }
        }

        _rules = new CompiledRules(0, null, rules);
        var random = new Random(42);
        _events = new (string, RuleSubject)[Events];
        for (var e = 0; e < Events; e++)
        {
            var deal = new Deal
            {
                Id = new DealId("d" + e), Client = new ClientId("c" + e), Pipeline = new PipelineId("p"), Stage = new StageId("s"),
                Owner = new UserId("u"), Amount = Money.Of(random.Next(0, 12_000), "USD"),
            };
            var client = new Client { Id = deal.Client, Kind = ClientKind.Company, Name = "C", Owner = deal.Owner, Region = Regions[random.Next(Regions.Length)] };
            // One event in five is of a type no rule listens to.
            var type = random.Next(5) == 0 ? "NoteAdded" : Triggers[random.Next(Triggers.Length)];
            _events[e] = (type, new RuleSubject(deal, client, new DealFieldSet(deal.Id, "n", "v")));
        }

        // Both sides must do the same matching, or the comparison means nothing.
        if (HandWrittenSwitch() != RuleEngineIndexedByTrigger())
        {
            throw new InvalidOperationException("The switch and the rule engine disagree on the matches.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int HandWrittenSwitch()
    {
        var matched = 0;
        foreach (var (type, subject) in _events)
        {
            var t = type switch
            {
                "DealOpened" => 0,
                "DealStageChanged" => 1,
                "GoalAchieved" => 2,
                "DealFieldSet" => 3,
                "DealAmountChanged" => 4,
                "DealOwnerChanged" => 5,
                "InvoicePaid" => 6,
                "OfferSent" => 7,
                "DealClassifierSet" => 8,
                "ActivityLogged" => 9,
                _ => -1,
            };
            if (t < 0)
            {
                continue;
            }

            var amount = subject.Deal.Amount.Amount;
            var region = subject.Client?.Region;
            for (var i = 0; i < 10; i++)
            {
                if (amount < _thresholds[t][i] && (_regions[t][i] is null || string.Equals(_regions[t][i], region, StringComparison.OrdinalIgnoreCase)))
                {
                    matched++;
                }
            }
        }

        return matched;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int RuleEngineIndexedByTrigger()
    {
        var matched = 0;
        foreach (var (type, subject) in _events)
        {
            matched += _rules.CountMatches(type, subject);
        }

        return matched;
    }
}
