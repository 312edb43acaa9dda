using System.Text.Json.Nodes;
using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using FsCheck.Xunit;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Rules;

/// <summary>
/// Issue 17 §2: thousands of mutated rule and process-template documents (from the kernel's and the methodology
/// plug-ins' own files) go to the loaders, <c>DefineAsync</c> and a deal command. Only typed <see cref="CrmException"/>s
/// may come out; whatever is accepted then runs on a deal; a rejection changes nothing; and a document stored around
/// validation never stops the tenant's other commands.
/// </summary>
public sealed class Issue17FuzzTests
{
    private const int PerCase = 20;
    private static readonly Lazy<(string[] Rules, string[] Templates)> Seeds = new(LoadSeeds);

    // Fixed seeds in the suite (CRM_FUZZ_RULE_CASES cases from CRM_FUZZ_SEED, default 30 from 0) so its time is
    // stable: as an FsCheck property with random seeds one run took 12 s and another 270 s, a few cases storing
    // megabyte documents around validation being slow. A long run: CRM_FUZZ_RULE_CASES=1000 CRM_FUZZ_SEED=<n>.
    [Fact]
    public async Task Issue17_mutated_rules_are_rejected_with_typed_errors_or_run_and_never_break_the_tenant()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("CRM_FUZZ_RULE_CASES"), out var c) ? c : 30;
        var first = int.TryParse(Environment.GetEnvironmentVariable("CRM_FUZZ_SEED"), out var f) ? f : 0;
        for (var seed = first; seed < first + cases; seed++)
        {
            await RuleCaseAsync(seed);
        }
    }

    private static async Task RuleCaseAsync(int seed)
    {
        var random = new Random(seed);
        await using var k = await WithOrganizationAsync();
        var head = await k.JournalHeadAsync();
        var deal = await k.DealAsync(Seller1, 100m);
        for (var n = 0; n < PerCase; n++)
        {
            var id = $"fz-{n}";
            var json = JsonMutator.Mutate(Retarget(Seeds.Value.Rules[random.Next(Seeds.Value.Rules.Length)], id, random), random);
            RuleDefinition? rule = null;
            try
            {
                rule = RuleJson.Load(json);
            }
            catch (CrmException)
            {
            }

            head = await k.JournalHeadAsync();
            if (rule is null)
            {
                // Stored around validation (as an older kernel might have): the tenant must keep working.
                await Issue17RuleTests.StoreRuleAsync(k, id, 1, json);
                await k.DealAsync(Seller1, 100m);
                Assert.True(Assert.Single(await k.Session(Admin).Rules.ListAsync(), r => r.Definition.Id == id).IsBroken, json.Length < 2000 ? json : json[..2000]);
                await k.Session(Admin).Rules.SetEnabledAsync(new RuleId(id), false);
                continue;
            }

            try
            {
                await k.Session(Admin).Rules.DefineAsync(rule with { Id = id });
            }
            catch (CrmException)
            {
                Assert.Equal(head, await k.JournalHeadAsync());
                continue;
            }

            // Accepted: it runs on deal commands; only typed errors (a stage's required fields, say) may stop one.
            await Typed(() => k.DealAsync(Seller1, 100m));
            await Typed(() => k.Session(Seller1).Deals.MoveAsync(deal.Id, n % 2 == 0 ? Lead : Proposal));
            Assert.False(Assert.Single(await k.Session(Admin).Rules.ListAsync(), r => r.Definition.Id == id).IsBroken);
            await k.Session(Admin).Rules.SetEnabledAsync(new RuleId(id), false);
            await k.DealAsync(Seller1, 100m);
        }

        // The accepted rules' scheduled actions and deadlines fire too (the longest offset is 3,660 days): none fails.
        var run = await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant() + NodaTime.Duration.FromDays(3700));
        Assert.Equal(0, run.Failed);
    }

    [Property(MaxTest = 100)]
    public async Task Issue17_mutated_process_templates_are_rejected_with_typed_errors_or_run_on_a_deal(int seed)
    {
        var random = new Random(seed);
        await using var k = await WithOrganizationAsync();
        var machine = k.Kernel.Parts.Processes.Machine;
        for (var n = 0; n < PerCase; n++)
        {
            var source = JsonNode.Parse(Seeds.Value.Templates[random.Next(Seeds.Value.Templates.Length)])!;
            source["id"] = $"fz-{seed}-{n}";
            var json = JsonMutator.Mutate(source.ToJsonString(), random);
            var head = await k.JournalHeadAsync();
            ProcessTemplate template;
            try
            {
                template = ProcessTemplateJson.Load(json);
            }
            catch (CrmException)
            {
                Assert.Equal(head, await k.JournalHeadAsync());
                continue;
            }

            try
            {
                machine.Register(template);
            }
            catch (InvalidStateException)
            {
                continue; // the same id and version with other content: refused, typed
            }

            var deal = await k.DealAsync(Seller1, 100m);
            var instance = await Typed(() => k.Session(Seller1).Processes.OpenAsync(template.Id, deal.Id));
            for (var step = 0; instance is not null && step < 10; step++)
            {
                var triggers = await k.Session(Seller1).Processes.ListPermittedTriggersAsync(instance.Id);
                if (triggers.Count == 0)
                {
                    break;
                }

                instance = await Typed(() => k.Session(Seller1).Processes.FireAsync(instance.Id, triggers[random.Next(triggers.Count)]));
            }
        }
    }

    [Fact]
    public void Issue17_the_mutations_reach_both_sides_of_validation()
    {
        // Guards the fuzzing itself: a mutator that only ever produced garbage (or only valid rules) would prove nothing.
        var random = new Random(17);
        int accepted = 0, rejected = 0;
        for (var n = 0; n < 500; n++)
        {
            try
            {
                RuleJson.Load(JsonMutator.Mutate(Retarget(Seeds.Value.Rules[random.Next(Seeds.Value.Rules.Length)], "fz", random), random));
                accepted++;
            }
            catch (CrmException)
            {
                rejected++;
            }
        }

        Assert.InRange(accepted, 25, 475);
        Assert.InRange(rejected, 25, 475);
    }

    private static async Task<T?> Typed<T>(Func<Task<T>> command)
        where T : class
    {
        try
        {
            return await command();
        }
        catch (CrmException)
        {
            return null;
        }
    }

    /// <summary>Gives the seed the case's id and, half the time, a trigger and no criteria so its actions run on the deal commands.</summary>
    private static string Retarget(string json, string id, Random random)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node["id"] = id;
        if (random.Next(2) == 0)
        {
            node["trigger"] = random.Next(2) == 0 ? "DealOpened" : "DealStageChanged";
            node.Remove("criteria");
            node.Remove("when");
        }

        return node.ToJsonString();
    }

    private static (string[] Rules, string[] Templates) LoadSeeds()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Crm.Kernel.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var rules = new List<string>
        {
            RuleJson.Write(SmallDealRule.Create()),
            """{ "id": "x", "name": "Move", "trigger": "DealOpened", "actions": [ { "action": "moveToStage", "stage": "lead" }, { "action": "achieveGoal", "goal": "contacted" }, { "action": "setField", "field": "deal.field.a", "value": "b" }, { "action": "createTask", "title": "Call {title}", "due": "2 working days", "assignee": "ownerHead" } ] }""",
            """{ "id": "x", "name": "Any", "trigger": "DealOpened", "criteria": { "condition": "anyOf", "conditions": [ { "condition": "in", "field": "deal.source", "values": ["web"] }, { "condition": "between", "field": "deal.amount", "min": 1, "max": 1000 } ] }, "scheduled": [ { "after": "PT4H working", "action": { "action": "setField", "field": "client.classifier.status", "value": "hot" } } ] }""",
        };
        var templates = new List<string>();
        var files = Directory.GetFiles(Path.Combine(root!.FullName, "plugins"), "*.json", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}Methodology{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(root.FullName, "src", "Kernel", "Processes", "Templates"), "*.json"));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var node = JsonNode.Parse(text)!.AsObject();
            if (node.ContainsKey("steps"))
            {
                templates.Add(text);
            }
            else if (node.ContainsKey("trigger"))
            {
                rules.Add(text);
            }
        }

        Assert.True(templates.Count >= 4, "the kernel's and the methodologies' templates are the seeds");
        Assert.True(rules.Count >= 8, "the methodologies' rules are the seeds");
        return ([.. rules], [.. templates]);
    }
}
