using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Stock;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Stock;

/// <summary>Issue 20, purchasing: reorder points, purchase orders to the product's supplier, and receiving them.</summary>
public sealed class Issue20PurchasingTests
{
    private static async Task<ClientId> SetUpAsync(TestKernel k)
    {
        var admin = k.Session(Admin);
        await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(500m, "USD"));
        await admin.Stock.DefineWarehouseAsync("main", "Main warehouse");
        await admin.Stock.LogReceiptAsync("desk", "main", 10m);
        var supplier = await k.Session(Admin).Clients.RegisterAsync(new Crm.Kernel.Clients.NewClient("Desk Factory Ltd", ClientKind.Supplier));
        await admin.Stock.DefineReorderPointAsync("desk", "main", 5m, 20m, supplier.Id, Head1);
        return supplier.Id;
    }

    private static async Task IssueAsync(TestKernel k, decimal desks)
    {
        var deal = await k.DealAsync(Seller1);
        var invoice = await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", desks)]);
        await k.Session(Seller1).Invoices.IssueAsync(invoice.Id);
    }

    /// <summary>Guards: a reservation taking available stock below the reorder point places exactly one purchase order to the supplier and one task for the purchaser; a second crossing while it is open places none; receiving adds the stock and closes the order, after which a new crossing places a new one.</summary>
    [Fact]
    public async Task Issue20_crossing_the_reorder_point_places_one_order_and_receiving_closes_it()
    {
        await using var k = await WithOrganizationAsync();
        var supplier = await SetUpAsync(k);

        await IssueAsync(k, 5m); // available 5: not below the point
        Assert.Empty(await k.Session(Admin).Stock.ListPurchaseOrdersAsync("desk"));

        await IssueAsync(k, 1m); // available 4: crossed
        var order = Assert.Single(await k.Session(Admin).Stock.ListPurchaseOrdersAsync("desk"));
        Assert.Equal(("desk", "main", 20m, supplier, false), (order.Product, order.Warehouse, order.Quantity, order.Supplier, order.Received));
        var task = Assert.Single(await k.Session(Admin).Tasks.ListAsync(true, Head1), t => t.Title.Contains(order.Id, StringComparison.Ordinal));
        Assert.Equal(Head1, task.Assignee);

        await k.Session(Admin).Stock.LogWriteOffAsync("desk", "main", 2m, "damaged"); // available 2: still below, order open
        Assert.Single(await k.Session(Admin).Stock.ListPurchaseOrdersAsync("desk"));
        Assert.Single(await k.Session(Admin).Tasks.ListAsync(true, Head1), t => t.Title.StartsWith("Purchase order", StringComparison.Ordinal));

        var level = await k.Session(Admin).Stock.ReceivePurchaseOrderAsync(order.Id);
        Assert.Equal(new StockLevel("desk", "main", 28m, 6m), level);
        Assert.True(Assert.Single(await k.Session(Admin).Stock.ListPurchaseOrdersAsync("desk")).Received);
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Stock.ReceivePurchaseOrderAsync(order.Id));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Stock.ReceivePurchaseOrderAsync(order.Id));

        await k.Session(Admin).Stock.LogWriteOffAsync("desk", "main", 18m, "flood"); // available 4: crossed again, no order open
        var orders = await k.Session(Admin).Stock.ListPurchaseOrdersAsync("desk");
        Assert.Equal(2, orders.Count);
        Assert.Single(orders, o => o.Received);
        Assert.Single(orders, o => !o.Received);

        var events = (await k.Session(Admin).Journal.ListAsync(0, 10_000)).Select(e => e.Event).ToList();
        Assert.Equal(2, events.OfType<PurchaseOrderPlaced>().Count());
        Assert.Equal([new PurchaseOrderReceived(order.Id)], events.OfType<PurchaseOrderReceived>());
        Assert.Empty((await k.Kernel.VerifyJournalAsync(k.Tenant)).Differences);
    }

    /// <summary>Guards: only administrators set reorder points, and the supplier must be an existing client card.</summary>
    [Fact]
    public async Task Issue20_reorder_points_are_for_administrators_and_need_a_known_supplier()
    {
        await using var k = await WithOrganizationAsync();
        var supplier = await SetUpAsync(k);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Stock.DefineReorderPointAsync("desk", "main", 1m, 1m, supplier, Head1));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Admin).Stock.DefineReorderPointAsync("desk", "main", 1m, 1m, new ClientId("nobody"), Head1));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Stock.DefineReorderPointAsync("desk", "main", -1m, 0m, supplier, Head1));
        var company = await k.ClientAsync(Admin, "Not A Supplier AS");
        var notSupplier = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Stock.DefineReorderPointAsync("desk", "main", 1m, 1m, company.Id, Head1));
        Assert.Contains("kind Supplier", notSupplier.Message, StringComparison.Ordinal);
    }

    /// <summary>Guards: a seller sees each line of their deal with the stock available at the default warehouse (a product without stock shows 0); another seller does not see the deal and gets EntityNotFoundException, the admin sees it.</summary>
    [Fact]
    public async Task Issue20_deal_line_availability_respects_visibility()
    {
        await using var k = await WithOrganizationAsync();
        await SetUpAsync(k);
        await k.Session(Admin).Products.DefineAsync("setup", "Installation", Money.Of(80m, "USD"));
        await IssueAsync(k, 3m);
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.SetLinesAsync(deal.Id, [new DealLine("desk", 2m, Money.Of(500m, "USD")), new DealLine("setup", 1m, Money.Of(80m, "USD"))]);

        var lines = await k.Session(Seller1).Stock.GetForDealAsync(deal.Id);
        Assert.Equal([new DealLineStock("desk", 2m, "main", 7m), new DealLineStock("setup", 1m, "main", 0m)], lines);
        Assert.Equal(lines, await k.Session(Admin).Stock.GetForDealAsync(deal.Id));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller2).Stock.GetForDealAsync(deal.Id));
        Assert.Empty(await k.Session(Seller1).Stock.GetForDealAsync((await k.DealAsync(Seller1)).Id));
    }

    /// <summary>Guards the stock report on a hand-computed data set over 4 days: desk 10 on hand for 2 days then 6 for 2 (4 written off: 1/day, 6 days of cover, average on hand 8, turnover 0.5, below its point 7); chair 5 from day 1 (average 3.75, nothing moved: no cover figure, turnover 0).</summary>
    [Fact]
    public async Task Issue20_stock_report_figures_match_a_hand_computed_period()
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin);
        await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(500m, "USD"));
        await admin.Products.DefineAsync("chair", "Chair", Money.Of(100m, "USD"));
        await admin.Stock.DefineWarehouseAsync("main", "Main warehouse");
        var supplier = await k.Session(Admin).Clients.RegisterAsync(new Crm.Kernel.Clients.NewClient("Desk Factory Ltd", ClientKind.Supplier));
        await admin.Stock.DefineReorderPointAsync("desk", "main", 7m, 20m, supplier.Id, Head1);
        await admin.Stock.LogReceiptAsync("desk", "main", 10m);
        k.Clock.Advance(Duration.FromDays(1));
        await admin.Stock.LogReceiptAsync("chair", "main", 5m);
        k.Clock.Advance(Duration.FromDays(1));
        await admin.Stock.LogWriteOffAsync("desk", "main", 4m, "sold at the counter");
        k.Clock.Advance(Duration.FromDays(2));

        var rows = await k.Session(Seller1).Stock.GetReportAsync(Start, Start + Duration.FromDays(4));
        Assert.Equal(
        [
            new StockReportRow("chair", "main", 0m, 0m, 5m, null, 3.75m, 0m, null, false),
            new StockReportRow("desk", "main", 4m, 1m, 6m, 6m, 8m, 0.5m, 7m, true),
        ], rows);

        // Before the write-off: nothing moved, desk 10 on hand for the whole first day.
        var first = Assert.Single(await k.Session(Seller1).Stock.GetReportAsync(Start, Start + Duration.FromDays(1)), r => r.Product == "desk");
        Assert.Equal((0m, 10m), (first.WrittenOff, first.AverageOnHand));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Stock.GetReportAsync(Start, Start));
    }
}
