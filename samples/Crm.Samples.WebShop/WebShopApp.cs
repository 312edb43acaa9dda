using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Integration;
using Crm.Storage.Sqlite;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Crm.Samples.WebShop;

/// <summary>
/// The shop's web application: <c>POST /orders</c> takes a website order in (idempotent by its id), <c>GET
/// /orders/{id}/invoice</c> renders its invoice. Every error answer is RFC 7807 problem details
/// (<c>application/problem+json</c>) carrying the kernel's message; a 400 always says what to fix.
/// </summary>
public static class WebShopApp
{
    /// <summary>The shop's tenant.</summary>
    public static readonly TenantId Tenant = new("shop");

    /// <summary>
    /// Builds the application (not started). The database is <c>ConnectionStrings:Crm</c> from the configuration
    /// (<c>--ConnectionStrings:Crm="Data Source=…"</c>), by default <c>webshop.db</c> in the working folder.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var connectionString = builder.Configuration.GetConnectionString("Crm") ?? "Data Source=webshop.db";
        builder.Services.AddProblemDetails();
        builder.Services.AddCrmKernel(crm => crm
            .UseSqlite(connectionString)
            .Configure(o => { o.DefaultPhoneRegion = "NO"; o.DefaultCurrency = "NOK"; }));
        var app = builder.Build();

        // Anything unexpected still answers problem details, never an empty body.
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        var kernel = app.Services.GetRequiredService<CrmKernel>();
        await ShopSetup.EnsureAsync(kernel, Tenant);

        app.MapPost("/orders", async (HttpRequest request, IOptions<JsonOptions> json, CancellationToken cancellationToken) =>
        {
            if (!request.HasJsonContentType())
            {
                return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "An order is JSON",
                    detail: "Send the order with 'Content-Type: application/json'.");
            }

            WebsiteOrder? order;
            try
            {
                order = await request.ReadFromJsonAsync<WebsiteOrder>(json.Value.SerializerOptions, cancellationToken);
            }
            catch (JsonException e)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The order is not valid JSON",
                    detail: $"The body could not be read as an order: {e.Message}");
            }
            catch (BadHttpRequestException e)
            {
                return Results.Problem(statusCode: e.StatusCode, title: "The request could not be read", detail: e.Message);
            }

            if (order is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The order is missing",
                    detail: "The body is 'null'; send an order object with externalId, buyer and lines.");
            }

            try
            {
                var result = await kernel.Orders.IntakeAsync(Tenant, order, cancellationToken);
                var body = new { order = result.Order.Id, deal = result.Order.Deal.Value, client = result.Order.Client.Value, invoice = result.Order.Invoice };
                return result.Created ? Results.Created($"/orders/{Uri.EscapeDataString(result.Order.Id)}", body) : Results.Ok(body);
            }
            catch (CrmValidationException e)
            {
                return Results.ValidationProblem(
                    e.Errors.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Message).ToArray()),
                    detail: e.Message, title: "The order is invalid");
            }
            catch (CrmException e)
            {
                return Results.Problem(statusCode: StatusOf(e), title: "The order was not taken in", detail: e.Message);
            }
        });

        app.MapGet("/orders/{id}/invoice", async (string id, CancellationToken cancellationToken) =>
        {
            var admin = kernel.OpenSession(Tenant, ShopSetup.Admin);
            var deals = await admin.Deals.ListAsync(cancellationToken: cancellationToken);
            var deal = deals.FirstOrDefault(d => d.Fields.TryGetValue("order", out var o) && o == id);
            if (deal is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such order", detail: $"No order '{id}' was taken in.");
            }

            var invoice = (await admin.Invoices.ListForDealAsync(deal.Id, cancellationToken)).First();
            return Results.Content(await admin.Invoices.RenderHtmlAsync(invoice.Id, cancellationToken), "text/html");
        });

        return app;
    }

    private static int StatusOf(CrmException e) => e switch
    {
        EntityNotFoundException => StatusCodes.Status404NotFound,
        AccessDeniedException => StatusCodes.Status403Forbidden,
        ConcurrencyConflictException or DuplicateKeyException or InvalidStateException => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status422UnprocessableEntity,
    };
}

/// <summary>The shop's tenant: an administrator, a pipeline with an "Unsorted" inbox, and a small catalogue.</summary>
public static class ShopSetup
{
    /// <summary>The shop's administrator.</summary>
    public static readonly UserId Admin = new("admin");

    /// <summary>Creates the tenant, its pipeline and its catalogue (again harmlessly).</summary>
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
