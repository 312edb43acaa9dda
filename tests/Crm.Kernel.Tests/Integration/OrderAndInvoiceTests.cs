using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Integration;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Rules;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Integration;

public sealed class OrderAndInvoiceTests
{
    private static async Task<TestKernel> ShopAsync()
    {
        var k = await WithOrganizationAsync();
        var products = k.Session(Admin).Products;
        await products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);
        await products.DefineAsync("desk", "Standing desk", Money.Of(549.50m, "USD"), 0.25m);
        await products.DefineAsync("eur-lamp", "Lamp", Money.Of(20m, "EUR"));
        return k;
    }

    private static WebsiteOrder Order(string id, string? phone = "+47 915 00 001", string? email = "buyer@shop.no") =>
        new(id, new OrderBuyer("Nora Buyer", phone, email), [new InvoiceLineRequest("chair", 4, 10m), new InvoiceLineRequest("desk", 1)]);

    [Fact]
    public async Task An_invoice_is_built_from_product_lines_in_one_call_with_exact_totals()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1);

        var invoice = await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("chair", 3, 12.5m), new InvoiceLineRequest("desk", 2)]);

        // chair: 3 × 199.99 × 0.875 = 524.97375 → 524.97; tax 131.2425 → 131.24. desk: 1,099.00; tax 274.75.
        Assert.Equal((524.97m, 131.24m), (invoice.Lines[0].Net, invoice.Lines[0].Tax));
        Assert.Equal((1623.97m, 405.99m, 2029.96m), (invoice.Net, invoice.Tax, invoice.Total));
        Assert.Equal(InvoiceStatus.Draft, invoice.Status);
        var html = await k.Session(Seller1).Invoices.RenderHtmlAsync(invoice.Id);
        Assert.Contains("2,029.96", html);
        Assert.Contains("Office chair", html);
    }

    [Fact]
    public async Task Bad_lines_are_rejected_with_their_paths()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1);
        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Invoices.CreateAsync(deal.Id,
            [new InvoiceLineRequest("sofa", 1), new InvoiceLineRequest("chair", 0), new InvoiceLineRequest("desk", 1, 120m), new InvoiceLineRequest("eur-lamp", 1)]));
        Assert.Equal(["lines[0].product", "lines[1].quantity", "lines[2].discountPercent", "lines[3].product"], error.Errors.Select(e => e.Field));
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Seller1).Invoices.CreateAsync(deal.Id, []));
        Assert.Empty(await k.Session(Seller1).Invoices.ListForDealAsync(deal.Id));
    }

    [Fact]
    public async Task Payment_is_a_sale_that_a_rule_turns_into_the_goal_payment_received()
    {
        await using var k = await ShopAsync();
        await k.Session(Admin).Rules.DefineAsync(RuleDefinition.Create("paid", "Invoice paid", "InvoicePaid").Then(new AchieveGoal(new GoalId("purchase-prepared"))).Build());
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Negotiation);
        var invoice = await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", 1)]);

        await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Seller1).Invoices.MarkPaidAsync(invoice.Id));   // not issued yet
        invoice = await k.Session(Seller1).Invoices.IssueAsync(invoice.Id);
        invoice = await k.Session(Seller1).Invoices.MarkPaidAsync(invoice.Id);

        Assert.Equal(InvoiceStatus.Paid, invoice.Status);
        Assert.StartsWith("INV-20260302-", invoice.Number);
        Assert.Equal(DealStatus.Won, (await k.Session(Seller1).Deals.GetAsync(deal.Id)).Status);
        await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Seller1).Invoices.CancelAsync(invoice.Id, "too late"));
    }

    [Fact]
    public async Task A_website_order_creates_client_deal_invoice_task_and_process_once()
    {
        await using var k = await ShopAsync();
        var first = await k.Kernel.Orders.IntakeAsync(k.Tenant, Order("web-1001"));
        var again = await k.Kernel.Orders.IntakeAsync(k.Tenant, Order("web-1001"));

        Assert.True(first.Created);
        Assert.True(first.NewClient);
        Assert.False(again.Created);
        Assert.Equal(first.Order.Deal, again.Order.Deal);
        var admin = k.Session(Admin);
        var deal = Assert.Single(await admin.Deals.ListAsync());
        Assert.Equal((Unsorted, "website", Admin), (deal.Stage, deal.Source, deal.Owner));
        var invoice = await admin.Invoices.GetAsync(first.Order.Invoice);
        Assert.Equal(Money.Of(invoice.Total, "USD"), deal.Amount);
        Assert.Equal((1269.46m, 317.37m), (invoice.Net, invoice.Tax)); // 4 × 199.99 × 0.9 = 719.964 → 719.96, + 549.50; tax 179.99 + 137.38
        var tasks = await admin.Tasks.ListAsync();
        Assert.Single(tasks, t => t.Deal == deal.Id && t.Title == "Confirm the order with the buyer: order web-1001");
        Assert.Single(tasks, t => t.Deal == deal.Id && t.Title.StartsWith("Schedule picking", StringComparison.Ordinal)); // the Delivery process's first step
        Assert.Equal("delivery", Assert.Single(await admin.Processes.ListForDealAsync(deal.Id)).TemplateId);
    }

    [Fact]
    public async Task A_returning_buyer_is_found_by_phone_in_another_format()
    {
        await using var k = await ShopAsync();
        var first = await k.Kernel.Orders.IntakeAsync(k.Tenant, Order("web-1", "+47 915 00 001", null));
        var second = await k.Kernel.Orders.IntakeAsync(k.Tenant, Order("web-2", "91500001", null));

        Assert.False(second.NewClient);
        Assert.Equal(first.Order.Client, second.Order.Client);
        Assert.Equal(2, (await k.Session(Admin).Deals.ListAsync()).Count);
    }

    public static TheoryData<WebsiteOrder, string> BadOrders => new()
    {
        { new WebsiteOrder("web-x", new OrderBuyer("Nora", "+47 915 00 001", null), []), "lines" },
        { new WebsiteOrder("web-x", new OrderBuyer("Nora", "not a phone", null), [new InvoiceLineRequest("chair", 1)]), "buyer.phone" },
        { new WebsiteOrder("web-x", new OrderBuyer("Nora", null, null), [new InvoiceLineRequest("chair", 1)]), "buyer" },
        { new WebsiteOrder("", new OrderBuyer("Nora", "+47 915 00 001", null), [new InvoiceLineRequest("chair", 1)]), "externalId" },
        { new WebsiteOrder("web-x", new OrderBuyer("Nora", "+47 915 00 001", null), [new InvoiceLineRequest("sofa", 1)]), "lines[0].product" },
        { new WebsiteOrder("web-x", new OrderBuyer("Nora", "+47 915 00 001", null), Enumerable.Repeat(new InvoiceLineRequest("chair", 1), 201).ToArray()), "lines" },
        { new WebsiteOrder("web-x", new OrderBuyer(new string('N', 301), "+47 915 00 001", null), [new InvoiceLineRequest("chair", 1)]), "buyer.name" },
    };

    [Theory]
    [MemberData(nameof(BadOrders))]
    public async Task Bad_orders_create_nothing(WebsiteOrder order, string field)
    {
        await using var k = await ShopAsync();
        var head = await k.JournalHeadAsync();

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Kernel.Orders.IntakeAsync(k.Tenant, order));

        Assert.Contains(error.Errors, e => e.Field == field);
        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Empty(await k.Session(Admin).Clients.ListAsync());
    }

    [Fact]
    public async Task The_same_order_posted_concurrently_creates_one_deal()
    {
        await using var k = await ShopAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => k.Kernel.Orders.IntakeAsync(k.Tenant, Order("web-77"))));
        Assert.Single(results, r => r.Created);
        Assert.Single(await k.Session(Admin).Deals.ListAsync());
        Assert.Single(await k.Session(Admin).Clients.ListAsync());
    }
}
