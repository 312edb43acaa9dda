// The README's embedding example, verbatim between the markers (a test checks they match).
// README-BEGIN
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection()
    .AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").Configure(o => o.DefaultPhoneRegion = "NO"))
    .Services;
await using var provider = services.BuildServiceProvider();
var kernel = provider.GetRequiredService<CrmKernel>();

var tenant = new TenantId("acme");
await kernel.InitializeTenantAsync(tenant, new UserId("admin"), "Ada Admin");
var admin = kernel.OpenSession(tenant, new UserId("admin"));
await admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("sales"), "Sales",
[
    new StageDefinition(new StageId("lead"), "Lead")
    {
        Goals = [new GoalDefinition(new GoalId("won"), "Contract signed", [new MoveToStage(new StageId("won"))])],
    },
    new StageDefinition(new StageId("won"), "Won", StageKind.Won),
]));
var client = await admin.Clients.RegisterAsync(   // find-or-create: a second run merges into the same card
    new NewClient("Fjord AS") { Contacts = [new ClientContact("Kari", "22 33 44 55", null)] }, DuplicateHandling.Merge);
var deal = await admin.Deals.OpenAsync(new NewDeal(client.Id, new PipelineId("sales"), Money.Of(12_000m, "NOK")));
deal = await admin.Deals.AchieveGoalAsync(deal.Id, new GoalId("won"));   // the goal's reaction moves it to Won
// README-END
Console.WriteLine($"Deal {deal.Id} is in stage '{deal.Stage}' ({deal.Status}).");
