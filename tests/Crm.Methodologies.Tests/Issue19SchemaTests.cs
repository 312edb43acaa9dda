using System.Text.Json;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Json.Schema;
using Xunit;

namespace Crm.Methodologies.Tests;

/// <summary>
/// Issue 19, point 1: the one JSON Schema (docs/schema/crm-automation.schema.json, shipped in Crm.Kernel) describes every
/// rule and process template the repository ships, the examples, and what the kernel writes; an old shape fails it.
/// </summary>
public sealed class Issue19SchemaTests
{
    private static readonly string Root = RepositoryRoot();
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(SchemaPath));

    private static string SchemaPath => Path.Combine(Root, "docs", "schema", "crm-automation.schema.json");

    // Guards: the schema shipped in the package (src/Kernel/Automation, embedded in Crm.Kernel) is the copy in docs/.
    [Fact]
    public void Issue19_the_docs_schema_equals_the_one_shipped_in_the_kernel()
    {
        using var stream = typeof(RuleJson).Assembly.GetManifestResourceStream("Crm.Kernel.crm-automation.schema.json");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);

        Assert.Equal(File.ReadAllText(SchemaPath).ReplaceLineEndings("\n"), reader.ReadToEnd().ReplaceLineEndings("\n"));
    }

    public static TheoryData<string> ShippedDocuments()
    {
        var data = new TheoryData<string>();
        var files = Directory.GetFiles(Path.Combine(Root, "plugins"), "*.json", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}Methodology{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(Root, "src", "Kernel", "Processes", "Templates"), "*.json"))
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs", "schema", "examples"), "*.json"));
        foreach (var file in files.Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            // Report presets (report designer definitions) are not automation documents.
            if (document.RootElement.TryGetProperty("trigger", out _) || document.RootElement.TryGetProperty("steps", out _))
            {
                data.Add(Path.GetRelativePath(Root, file).Replace('\\', '/'));
            }
        }

        return data;
    }

    // Guards: every rule and template the methodology plug-ins and the kernel ship, and every example, validates; and the kernel loads it.
    [Theory]
    [MemberData(nameof(ShippedDocuments))]
    public void Issue19_every_shipped_rule_and_template_validates_against_the_schema(string file)
    {
        var json = File.ReadAllText(Path.Combine(Root, file));

        AssertValid(json, file);
        if (json.Contains("\"trigger\": \"", StringComparison.Ordinal) && !json.Contains("\"steps\"", StringComparison.Ordinal))
        {
            Assert.NotNull(RuleJson.Load(json));
        }
        else
        {
            Assert.NotNull(ProcessTemplateJson.Load(json));
        }
    }

    [Fact]
    public void Issue19_there_are_shipped_documents_to_check() => Assert.True(ShippedDocuments().Count >= 15);

    // Guards: what the kernel's one writer produces is what the schema describes.
    [Fact]
    public void Issue19_what_the_kernel_writes_validates_against_the_schema()
    {
        var rule = RuleDefinition.Create("all-kinds", "All kinds", "DealOpened")
            .When(new AnyOf([new FieldIn("deal.source", ["web"]), new FieldBetween("deal.amount", 1, 10)]))
            .Criteria(new AllOf([new FieldCompare("deal.amount", Comparison.GreaterOrEqual, 5m), new Not(new FieldEquals("client.region", "north"))]))
            .Then(new Notify("s", "b", Recipient.User(new UserId("u-1"))))
            .Then(new CreateTask("t", BusinessDuration.WorkingHours(4)))
            .Then(new SetField("client.classifier.status", "customer"))
            .Then(new AssignOwner(Recipient.StageManager(new StageId("offer"))))
            .Then(new StartProcess("delivery"))
            .After(BusinessDuration.WorkingDays(1), new MoveToStage(new StageId("offer")), new FieldIsSet("deal.title"), holdToWorkingHours: true)
            .MustMeetWithin(BusinessDuration.WorkingDays(5), new FieldIsSet("deal.field.sent"), NotificationPolicy.Immediate)
            .AllowExceptions(new RuleExceptionPolicy("Complex", ["big"]))
            .BoundToStage()
            .Build();

        AssertValid(RuleJson.Write(rule), "RuleJson.Write");
        AssertValid(ProcessTemplateJson.Write(ProcessTemplateJson.Load(File.ReadAllText(Path.Combine(Root, "docs", "schema", "examples", "contract-review.template.json")))), "ProcessTemplateJson.Write");
    }

    // Guards: the negative case — old action and condition shapes, a wrong kind and a process-only recipient shape fail the schema.
    [Theory]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "type": "notify", "subject": "s", "body": "b" } ] }""")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "criteria": { "type": "equals", "field": "deal.stage", "value": "won" } }""")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "action": "fax", "number": "1" } ] }""")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "action": "notify", "to": "OwnerHead", "subject": "s", "body": "b" } ] }""")]
    [InlineData("""{ "id": "r", "name": "R", "trigger": "DealOpened", "actions": [ { "action": "createTask", "title": "t", "due": "soon" } ] }""")]
    public void Issue19_old_or_wrong_shapes_fail_the_schema(string json)
    {
        var result = Schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.False(result.IsValid);
    }

    private static void AssertValid(string json, string what)
    {
        var result = Schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var problems = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}"));
        Assert.True(result.IsValid, $"{what} does not validate against the schema:\n{string.Join("\n", problems.Take(20))}");
    }

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Crm.Kernel.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Crm.Kernel.sln not found above the test's folder.");
        }

        return root;
    }
}
