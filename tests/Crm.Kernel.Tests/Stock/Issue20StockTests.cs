using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Stock;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Stock;

/// <summary>Issue 20, stock: warehouses, journaled movements, and the reservation of an invoice's lines on issue, its write-off on payment and its release on cancellation.</summary>
public sealed class Issue20StockTests
{
    private static async Task StockUpAsync(TestKernel k, decimal desks)
    {
        var admin = k.Session(Admin);
        await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(500m, "USD"));
        await admin.Products.DefineAsync("setup", "Installation service", Money.Of(80m, "USD"));
        await admin.Stock.DefineWarehouseAsync("main", "Main warehouse");
        await admin.Stock.DefineWarehouseAsync("north", "North depot");
        if (desks > 0m)
        {
            await admin.Stock.LogReceiptAsync("desk", "main", desks);
        }
    }

    private static async Task<Invoice> InvoiceAsync(TestKernel k, decimal desks, UserId? seller = null)
    {
        var owner = seller ?? Seller1;
        var deal = await k.DealAsync(owner);
        return await k.Session(owner).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", desks), new InvoiceLineRequest("setup", 1m)]);
    }

    private static async Task<StockLevel> LevelAsync(TestKernel k, string warehouse = "main", UserId? user = null) =>
        (await k.Session(user ?? Seller1).Stock.GetAsync("desk")).Single(l => l.Warehouse == warehouse);

    /// <summary>Guards: issuing reserves the stock-tracked line at the first warehouse (the service line is skipped), paying writes the reservation off, cancelling releases it; each movement is journaled with its invoice; a seller reads the available stock.</summary>
    [Fact]
    public async Task Issue20_issuing_reserves_paying_writes_off_cancelling_releases()
    {
        await using var k = await WithOrganizationAsync();
        await StockUpAsync(k, 10m);

        var paid = await InvoiceAsync(k, 3m);
        await k.Session(Seller1).Invoices.IssueAsync(paid.Id);
        Assert.Equal(new StockLevel("desk", "main", 10m, 3m), await LevelAsync(k));
        Assert.Equal(7m, (await LevelAsync(k)).Available);
        Assert.Empty(await k.Session(Seller1).Stock.GetAsync("setup"));

        await k.Session(Admin).Invoices.MarkPaidAsync(paid.Id);
        Assert.Equal(new StockLevel("desk", "main", 7m, 0m), await LevelAsync(k));

        var cancelled = await InvoiceAsync(k, 2m);
        await k.Session(Seller1).Invoices.IssueAsync(cancelled.Id);
        Assert.Equal(5m, (await LevelAsync(k)).Available);
        await k.Session(Seller1).Invoices.CancelAsync(cancelled.Id, "client changed their mind");
        Assert.Equal(new StockLevel("desk", "main", 7m, 0m), await LevelAsync(k));

        var events = (await k.Session(Admin).Journal.ListAsync(0, 10_000)).Select(e => e.Event).ToList();
        Assert.Equal([new StockReserved("desk", "main", 3m, paid.Id, false), new StockReserved("desk", "main", 2m, cancelled.Id, false)], events.OfType<StockReserved>());
        Assert.Equal([new StockWrittenOff("desk", "main", 3m, paid.Id, null)], events.OfType<StockWrittenOff>());
        Assert.Equal([new StockReleased("desk", "main", 2m, cancelled.Id)], events.OfType<StockReleased>());
        Assert.Empty((await k.Kernel.VerifyJournalAsync(k.Tenant)).Differences);
    }

    /// <summary>Guards: a reservation beyond the available stock is refused with product, warehouse and both quantities named; the invoice stays a draft and neither stock nor journal changed.</summary>
    [Fact]
    public async Task Issue20_a_reservation_beyond_available_stock_is_refused_and_nothing_changes()
    {
        await using var k = await WithOrganizationAsync();
        await StockUpAsync(k, 2m);
        var invoice = await InvoiceAsync(k, 3m);
        var head = await k.JournalHeadAsync();

        var refused = await Assert.ThrowsAsync<InsufficientStockException>(() => k.Session(Seller1).Invoices.IssueAsync(invoice.Id));
        Assert.Equal(("desk", "main", 3m, 2m), (refused.Product, refused.Warehouse, refused.Requested, refused.Available));
        Assert.Contains("product 'desk' at warehouse 'main': requested 3, available 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal(InvoiceStatus.Draft, (await k.Session(Seller1).Invoices.GetAsync(invoice.Id)).Status);
        Assert.Equal(new StockLevel("desk", "main", 2m, 0m), await LevelAsync(k));
        Assert.Equal(head, await k.JournalHeadAsync());

        // By hand too: no write-off or transfer beyond what is available.
        await Assert.ThrowsAsync<InsufficientStockException>(() => k.Session(Admin).Stock.LogWriteOffAsync("desk", "main", 3m, "broken"));
        await Assert.ThrowsAsync<InsufficientStockException>(() => k.Session(Admin).Stock.LogTransferAsync("desk", "main", "north", 3m));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Stock.LogReceiptAsync("desk", "main", 1m));
        Assert.Equal(head, await k.JournalHeadAsync());
    }

    /// <summary>Guards: with the tenant's stock policy allowing backorders, the reservation goes through, is journaled as a backorder, and available goes negative; the policy's default warehouse is the one reserved at.</summary>
    [Fact]
    public async Task Issue20_a_tenant_that_allows_backorders_reserves_beyond_stock_explicitly()
    {
        await using var k = await WithOrganizationAsync();
        await StockUpAsync(k, 2m);
        await k.Session(Admin).Stock.LogTransferAsync("desk", "main", "north", 1m);
        await k.Session(Admin).Configuration.DefineStockPolicyAsync(allowBackorders: true, defaultWarehouse: "north", version: 1);

        var invoice = await InvoiceAsync(k, 3m);
        await k.Session(Seller1).Invoices.IssueAsync(invoice.Id);

        Assert.Equal(new StockLevel("desk", "north", 1m, 3m), await LevelAsync(k, "north"));
        Assert.Equal(-2m, (await LevelAsync(k, "north")).Available);
        Assert.Equal(new StockLevel("desk", "main", 1m, 0m), await LevelAsync(k));
        var reserved = Assert.Single((await k.Session(Admin).Journal.ListAsync(0, 10_000)).Select(e => e.Event).OfType<StockReserved>());
        Assert.True(reserved.Backorder);
        await Assert.ThrowsAsync<CrmValidationException>(() => k.Session(Admin).Configuration.DefineStockPolicyAsync(false, "nowhere", 2));
    }

    /// <summary>Guards: stock commands check their input before writing anything: quantities in (0, 1,000,000], a reason for returns and write-offs, warehouse ids without '|', known products and warehouses, transfers between two different warehouses.</summary>
    [Fact]
    public async Task Issue20_stock_commands_check_their_input_and_write_nothing_when_refused()
    {
        await using var k = await WithOrganizationAsync();
        await StockUpAsync(k, 5m);
        var stock = k.Session(Admin).Stock;
        var head = await k.JournalHeadAsync();

        Assert.Equal("quantity", Assert.Single((await Assert.ThrowsAsync<CrmValidationException>(() => stock.LogReceiptAsync("desk", "main", 0m))).Errors).Field);
        Assert.Equal("quantity", Assert.Single((await Assert.ThrowsAsync<CrmValidationException>(() => stock.LogReceiptAsync("desk", "main", 1_000_001m))).Errors).Field);
        Assert.Equal("reason", Assert.Single((await Assert.ThrowsAsync<CrmValidationException>(() => stock.LogReturnAsync("desk", "main", 1m, " "))).Errors).Field);
        Assert.Equal("to", Assert.Single((await Assert.ThrowsAsync<CrmValidationException>(() => stock.LogTransferAsync("desk", "main", "main", 1m))).Errors).Field);
        Assert.Equal("id", Assert.Single((await Assert.ThrowsAsync<CrmValidationException>(() => stock.DefineWarehouseAsync("a|b", "Pipe"))).Errors).Field);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => stock.LogReceiptAsync("desk", "nowhere", 1m));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => stock.LogReceiptAsync("chair", "main", 1m));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => k.Session(Seller1).Stock.GetAsync("chair"));
        Assert.Equal(head, await k.JournalHeadAsync());
        Assert.Equal(new StockLevel("desk", "main", 5m, 0m), await LevelAsync(k));
        Assert.Equal(["main", "north"], (await k.Session(Seller1).Stock.ListWarehousesAsync()).Select(w => w.Id));
    }

    /// <summary>Guards: two sellers issue invoices for the last unit at the same time on a SQLite file: one is issued, the other refused with the stock named, and the stock is never over-reserved.</summary>
    [Fact]
    public async Task Issue20_concurrent_reservations_of_the_last_units_one_wins_the_other_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("crm-stock-").FullName;
        try
        {
            var clock = new FakeClock(Start);
            var services = new ServiceCollection();
            services.AddSingleton<IClock>(clock);
            services.AddCrmKernel(crm => crm.UseSqlite($"Data Source={Path.Combine(folder, "crm.db")}").Configure(o => o.DefaultPhoneRegion = "NO"));
            await using (var provider = services.BuildServiceProvider())
            {
                var k = Wrap(provider.GetRequiredService<CrmKernel>(), clock);
                await k.SetUpOrganizationAsync();
                await StockUpAsync(k, 1m);
                for (var round = 0; round < 5; round++)
                {
                    var first = await InvoiceAsync(k, 1m, Seller1);
                    var second = await InvoiceAsync(k, 1m, Seller3);
                    var outcomes = await Task.WhenAll(
                        Outcome(() => k.Session(Seller1).Invoices.IssueAsync(first.Id)),
                        Outcome(() => k.Session(Seller3).Invoices.IssueAsync(second.Id)));
                    Assert.Equal(1, outcomes.Count(o => o is null));
                    var refusal = Assert.IsType<InsufficientStockException>(outcomes.Single(o => o is not null));
                    Assert.Equal(("desk", "main", 1m, 0m), (refusal.Product, refusal.Warehouse, refusal.Requested, refusal.Available));
                    Assert.Equal(new StockLevel("desk", "main", 1m, 1m), await LevelAsync(k));

                    // Free the unit again for the next round.
                    var winner = outcomes[0] is null ? first : second;
                    await k.Session(Admin).Invoices.CancelAsync(winner.Id, "next round");
                }

                Assert.Empty((await k.Kernel.VerifyJournalAsync(k.Tenant)).Differences);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }

        static async Task<Exception?> Outcome(Func<Task> issue)
        {
            try
            {
                await Task.Run(issue);
                return null;
            }
            catch (CrmException e)
            {
                return e;
            }
        }
    }
}
