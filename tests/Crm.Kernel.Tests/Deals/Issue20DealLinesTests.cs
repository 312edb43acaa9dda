using System.Text.Json;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Reports;
using Crm.Kernel.Storage;
using FsCheck.Xunit;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Deals;

/// <summary>Issue 20: a deal's product lines, the amount that follows them, the invoice from them, and the ABC of products.</summary>
public sealed class Issue20DealLinesTests
{
    private static async Task<TestKernel> ShopAsync()
    {
        var k = await WithOrganizationAsync();
        var products = k.Session(Admin).Products;
        await products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);
        await products.DefineAsync("desk", "Standing desk", Money.Of(549.50m, "USD"), 0.25m);
        await products.DefineAsync("lamp", "Lamp", Money.Of(20m, "EUR"));
        return k;
    }

    /// <summary>The deal as stored, with its version (records compare lists by reference).</summary>
    private static (string Json, long Version) Stored(Deal deal) => (DealJson.Write(deal), deal.Version);

    private static DealLine Usd(string product, decimal quantity, decimal price, decimal discount = 0m) => new(product, quantity, Money.Of(price, "USD"), discount);

    /// <summary>Guards: the amount is Σ quantity × unit price × (1 − discount) per line rounded to cents, recorded as an amount event that reports and the board see.</summary>
    [Fact]
    public async Task Issue20_amount_follows_the_lines_and_reports_and_the_board_see_it()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1, 1000m);
        var deals = k.Session(Seller1).Deals;

        // chair: 3 × 199.99 × 0.875 = 524.97375 → 524.97; desk at a negotiated 500: 2 × 500 = 1,000.
        var set = await deals.SetLinesAsync(deal.Id, [Usd("chair", 3, 199.99m, 12.5m), Usd("desk", 2, 500m)], deal.Version);

        Assert.Equal(Money.Of(1524.97m, "USD"), set.Amount);
        Assert.Equal(["chair", "desk"], set.Lines!.Select(l => l.Product));
        Assert.Equal(Stored(set), Stored(await deals.GetAsync(deal.Id)));
        var journal = await k.Session(Admin).Journal.ListAsync(0, 100_000);
        Assert.Contains(journal, r => r.Event is DealAmountChanged { Amount.Amount: 1524.97m } a && a.Deal == deal.Id);
        Assert.Contains(journal, r => r.Event is DealLinesSet l && l.Deal == deal.Id && l.Lines.Count == 2);

        var board = await deals.GetBoardAsync(Sales);
        Assert.Contains(board.Columns, c => c.Totals.Contains(Money.Of(1524.97m, "USD")));
        var data = await k.Session(Seller1).Reports.GetSnapshotAsync();
        Assert.Equal(1524.97m, data.DealAmount[Array.IndexOf(data.DealIds, deal.Id.Value)]);

        // While the deal has lines, its amount is theirs; removing them keeps the last amount.
        await Assert.ThrowsAsync<InvalidStateException>(() => deals.SetAmountAsync(deal.Id, Money.Of(1m, "USD")));
        var cleared = await deals.SetLinesAsync(deal.Id, []);
        Assert.Null(cleared.Lines);
        Assert.Equal(Money.Of(1524.97m, "USD"), cleared.Amount);
        Assert.Equal(Money.Of(7m, "USD"), (await deals.SetAmountAsync(deal.Id, Money.Of(7m, "USD"))).Amount);
    }

    /// <summary>Guards: replacing the lines with a stale expected version is refused and changes nothing.</summary>
    [Fact]
    public async Task Issue20_setting_lines_with_a_stale_version_is_a_concurrency_conflict()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1, 1000m);
        var deals = k.Session(Seller1).Deals;
        var first = await deals.SetLinesAsync(deal.Id, [Usd("desk", 1, 549.50m)], deal.Version);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => deals.SetLinesAsync(deal.Id, [Usd("chair", 1, 10m)], deal.Version));

        Assert.Contains(deal.Id.Value, conflict.Message, StringComparison.Ordinal);
        Assert.Equal(Stored(first), Stored(await deals.GetAsync(deal.Id)));
    }

    /// <summary>Guards: the invoice built from the deal's lines has the same lines (quantity, price, discount) and its net is the deal's amount.</summary>
    [Fact]
    public async Task Issue20_an_invoice_from_the_deal_lines_equals_the_lines()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1, 1000m);
        var session = k.Session(Seller1);
        var empty = await Assert.ThrowsAsync<CrmValidationException>(() => session.Invoices.CreateFromDealAsync(deal.Id));
        Assert.Contains("no product lines", empty.Message, StringComparison.Ordinal);

        deal = await session.Deals.SetLinesAsync(deal.Id, [Usd("chair", 3, 199.99m, 12.5m), Usd("desk", 2, 500m)]);
        var invoice = await session.Invoices.CreateFromDealAsync(deal.Id);

        Assert.Equal(deal.Lines!.Select(l => (l.Product, l.Quantity, l.UnitPrice.Amount, l.DiscountPercent)),
            invoice.Lines.Select(l => (l.Product, l.Quantity, l.UnitPrice, l.DiscountPercent)));
        Assert.Equal(["Office chair", "Standing desk"], invoice.Lines.Select(l => l.Description));
        // Net 524.97 + 1,000.00; tax at 25 %: 131.24 + 250.00.
        Assert.Equal((1524.97m, 381.24m, 1906.21m, "USD"), (invoice.Net, invoice.Tax, invoice.Total, invoice.Currency));
        Assert.Equal(deal.Amount.Amount, invoice.Net);
        Assert.Equal(InvoiceStatus.Draft, invoice.Status);
        Assert.Equal((invoice.Id, invoice.Version), Assert.Single(await session.Invoices.ListForDealAsync(deal.Id)) is var listed ? (listed.Id, listed.Version) : default);
    }

    /// <summary>Guards: every refusal (bad quantity, price, discount, currency, unknown product, a deal the seller cannot act on) writes nothing.</summary>
    [Fact]
    public async Task Issue20_validation_refusals_change_nothing()
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1, 1000m);
        var deals = k.Session(Seller1).Deals;
        var head = await k.JournalHeadAsync();

        var bad = await Assert.ThrowsAsync<CrmValidationException>(() => deals.SetLinesAsync(deal.Id,
        [
            Usd("chair", 0, 10m), Usd("chair", 1_000_001m, 10m), Usd("desk", 1, -1m), Usd("desk", 1, 10m, 100.5m),
            new DealLine("lamp", 1, Money.Of(20m, "EUR")), Usd("desk", 1, 10.00001m), Usd(" ", 1, 1m),
        ]));
        Assert.Equal(["lines[0].quantity", "lines[1].quantity", "lines[2].unitPrice", "lines[3].discountPercent", "lines[4].unitPrice", "lines[5].unitPrice", "lines[6].product"],
            bad.Errors.Select(e => e.Field));
        var unknown = await Assert.ThrowsAsync<EntityNotFoundException>(() => deals.SetLinesAsync(deal.Id, [Usd("desk", 1, 1m), Usd("sofa", 1, 1m)]));
        Assert.Equal(("product", "sofa"), (unknown.Kind, unknown.Id));
        await Assert.ThrowsAsync<CrmValidationException>(() => deals.SetLinesAsync(deal.Id, Enumerable.Repeat(Usd("desk", 1, 1m), 201).ToList()));
        await Assert.ThrowsAsync<CrmValidationException>(() => deals.SetLinesAsync(deal.Id, Enumerable.Repeat(Usd("desk", 1_000_000m, 999_999_999_999m), 2).ToList()));

        // A seller of another team may not act on the deal; neither may they invoice it.
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller3).Deals.SetLinesAsync(deal.Id, [Usd("desk", 1, 1m)]));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller3).Invoices.CreateFromDealAsync(deal.Id));

        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Equal(Stored(deal), Stored(await deals.GetAsync(deal.Id)));
    }

    /// <summary>
    /// Guards: ABC of products from paid invoices, by revenue and by quantity, on a small set with hand-computed classes;
    /// draft invoices, other currencies and deals the session does not see are left out.
    /// </summary>
    [Fact]
    public async Task Issue20_product_abc_by_revenue_and_by_quantity_matches_hand_computed_classes()
    {
        await using var k = await WithOrganizationAsync();
        var products = k.Session(Admin).Products;
        foreach (var p in new[] { "p1", "p2", "p3", "p4" })
        {
            await products.DefineAsync(p, "Product " + p, Money.Of(1m, "USD"));
        }

        await products.DefineAsync("e1", "Euro product", Money.Of(1m, "EUR"));
        var s1 = k.Session(Seller1);
        var deal = await k.DealAsync(Seller1, 0m);
        await s1.Deals.SetLinesAsync(deal.Id, [Usd("p1", 1, 700m), Usd("p2", 20, 10m), Usd("p3", 6, 10m), Usd("p4", 40, 1m)]);
        var invoice = await s1.Invoices.CreateFromDealAsync(deal.Id);
        await s1.Invoices.IssueAsync(invoice.Id);
        await s1.Invoices.MarkPaidAsync(invoice.Id);
        await s1.Invoices.CreateFromDealAsync(deal.Id);   // a draft: not a sale
        var euro = await k.DealAsync(Seller1, 0m, "EUR");
        await s1.Deals.SetLinesAsync(euro.Id, [new DealLine("e1", 1000, Money.Of(1000m, "EUR"))]);
        var euroInvoice = await s1.Invoices.CreateFromDealAsync(euro.Id);
        await s1.Invoices.IssueAsync(euroInvoice.Id);
        await s1.Invoices.MarkPaidAsync(euroInvoice.Id);

        // Revenue 700 / 200 / 60 / 40 of 1,000: shares before 0, 0.70, 0.90, 0.96 → A, A, B, C.
        var revenue = await s1.Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "USD");
        Assert.Equal([("p1", 700m, 'A'), ("p2", 200m, 'A'), ("p3", 60m, 'B'), ("p4", 40m, 'C')], revenue.Products.Select(p => (p.Product, p.Value, p.Class)));
        Assert.Equal((2, 1, 1), (revenue.A, revenue.B, revenue.C));
        Assert.Equal([0m, 0.7m, 0.9m, 0.96m], revenue.Products.Select(p => p.ShareBefore));
        Assert.Equal("Product p1", revenue.Products[0].Name);

        // Units 40 / 20 / 6 / 1 of 67: shares before 0, 40/67 ≈ 0.597, 60/67 ≈ 0.896, 66/67 ≈ 0.985 → A, A, B, C.
        var quantity = await s1.Reports.GetProductAbcAsync(ProductAbcMeasure.Quantity, "USD");
        Assert.Equal([("p4", 40m, 'A'), ("p2", 20m, 'A'), ("p3", 6m, 'B'), ("p1", 1m, 'C')], quantity.Products.Select(p => (p.Product, p.Value, p.Class)));

        var inEuro = await s1.Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "EUR");
        Assert.Equal([("e1", 1_000_000m, 'A')], inEuro.Products.Select(p => (p.Product, p.Value, p.Class)));

        // The head of the team sees the same; a seller of another team sees none of it.
        Assert.Equal(revenue.Products, (await k.Session(Head1).Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "USD")).Products);
        Assert.Empty((await k.Session(Seller3).Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "USD")).Products);
        await Assert.ThrowsAsync<CrmValidationException>(() => s1.Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "usd"));
        await Assert.ThrowsAsync<CrmValidationException>(() => s1.Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "USD", 0.9m, 0.2m));
    }

    /// <summary>Guards: the hand-written deal JSON writes the lines as the serializer does, and a deal without lines as before (no "lines" property).</summary>
    [Fact]
    public void Issue20_deal_json_writes_lines_as_the_serializer_and_leaves_them_out_when_there_are_none()
    {
        var deal = new Deal
        {
            Id = new DealId("deal-1"), Client = new ClientId("client-1"), Pipeline = Sales, Stage = Lead, Owner = Seller1,
            Amount = Money.Of(1524.97m, "USD"),
        };
        var withLines = deal with { Lines = [Usd("chair", 3, 199.99m, 12.5m), Usd("desk \"x\"", 2.5m, 500m)] };

        Assert.DoesNotContain("lines", DealJson.Write(deal), StringComparison.Ordinal);
        Assert.Equal(JsonSerializer.Serialize(deal, CrmJson.Options), DealJson.Write(deal));
        Assert.Equal(JsonSerializer.Serialize(withLines, CrmJson.Options), DealJson.Write(withLines));
        var read = (Deal)Kinds.Deal.Read(new Crm.Abstractions.Storage.StoredDocument("deal", "deal-1", 1, DealJson.Write(withLines)));
        Assert.Equal(withLines.Lines, read.Lines);
    }

    /// <summary>Guards: for generated lines, the deal's amount is Σ round(quantity × price × (1 − discount ÷ 100), 2) and the invoice's net equals it.</summary>
    [Property(MaxTest = 20)]
    public bool Issue20_amount_is_the_sum_of_the_line_totals(byte[] quantities, ushort[] prices, byte[] discounts)
    {
        var count = Math.Min(quantities.Length, 8);
        var lines = new List<DealLine>(count);
        for (var i = 0; i < count; i++)
        {
            var quantity = (quantities[i] % 50 + 1) / (i % 2 == 0 ? 1m : 4m);
            var price = prices.Length == 0 ? 1m : prices[i % prices.Length] / 100m;
            var discount = discounts.Length == 0 ? 0m : discounts[i % discounts.Length] % 101;
            lines.Add(Usd(i % 2 == 0 ? "chair" : "desk", quantity, price, discount));
        }

        var expected = lines.Sum(l => Math.Round(l.Quantity * l.UnitPrice.Amount * (1m - l.DiscountPercent / 100m), 2, MidpointRounding.AwayFromZero));
        return Task.Run(async () =>
        {
            await using var k = await ShopAsync();
            var deal = await k.DealAsync(Seller1, 1000m);
            var set = await k.Session(Seller1).Deals.SetLinesAsync(deal.Id, lines);
            if (count == 0)
            {
                return set.Lines is null && set.Amount == deal.Amount;
            }

            var invoice = await k.Session(Seller1).Invoices.CreateFromDealAsync(deal.Id);
            return set.Amount == Money.Of(expected, "USD") && invoice.Net == expected && invoice.Lines.Count == count;
        }).GetAwaiter().GetResult();
    }
}
