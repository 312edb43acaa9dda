// A web shop's back office on the kernel. Run: dotnet run --project samples/Crm.Samples.WebShop -- --urls http://127.0.0.1:5080
// then: curl -X POST http://127.0.0.1:5080/orders -H 'Content-Type: application/json' \
//   -d '{"externalId":"web-1","buyer":{"name":"Nora","phone":"+47 915 00 001","email":"nora@example.com"},"lines":[{"product":"chair","quantity":2}]}'
using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Integration;
using Crm.Storage.Sqlite;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddCrmKernel(crm => crm
    .UseSqlite("Data Source=webshop.db")
    .Configure(o => { o.DefaultPhoneRegion = "NO"; o.DefaultCurrency = "NOK"; }));
var app = builder.Build();
var tenant = new TenantId("shop");
var kernel = app.Services.GetRequiredService<CrmKernel>();
await ShopSetup.EnsureAsync(kernel, tenant);

app.MapPost("/orders", async (WebsiteOrder order, CancellationToken cancellationToken) =>
{
    try
    {
        var result = await kernel.Orders.IntakeAsync(tenant, order, cancellationToken);
        var body = new { order = result.Order.Id, deal = result.Order.Deal.Value, client = result.Order.Client.Value, invoice = result.Order.Invoice };
        return result.Created ? Results.Created($"/orders/{result.Order.Id}", body) : Results.Ok(body);
    }
    catch (CrmValidationException e)
    {
        return Results.ValidationProblem(e.Errors.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray()));
    }
});

app.MapGet("/orders/{id}/invoice", async (string id, CancellationToken cancellationToken) =>
{
    var admin = kernel.OpenSession(tenant, ShopSetup.Admin);
    var deals = await admin.Deals.ListAsync(cancellationToken: cancellationToken);
    var deal = deals.FirstOrDefault(d => d.Fields.TryGetValue("order", out var o) && o == id);
    if (deal is null)
    {
        return Results.NotFound();
    }

    var invoice = (await admin.Invoices.ListForDealAsync(deal.Id, cancellationToken)).First();
    return Results.Content(await admin.Invoices.RenderHtmlAsync(invoice.Id, cancellationToken), "text/html");
});

app.Run();

/// <summary>The shop's tenant: an administrator, a pipeline with an "Unsorted" inbox, and a small catalogue.</summary>
internal static class ShopSetup
{
    public static readonly UserId Admin = new("admin");

    public static async Task EnsureAsync(CrmKernel kernel, TenantId tenant)
    {
        await kernel.InitializeTenantAsync(tenant, Admin, "Shop admin");
        var admin = kernel.OpenSession(tenant, Admin);
        await admin.Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("orders"), "Orders",
        [
            new StageDefinition(new StageId("new"), "New orders") { IsUnsorted = true },
            new StageDefinition(new StageId("confirmed"), "Confirmed"),
            new StageDefinition(new StageId("delivered"), "Delivered", StageKind.Won),
            new StageDefinition(new StageId("cancelled"), "Cancelled", StageKind.Lost),
        ]));
        await admin.Products.DefineAsync("chair", "Office chair", Money.Of(1999m, "NOK"), 0.25m);
        await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(5490m, "NOK"), 0.25m);
    }
}
