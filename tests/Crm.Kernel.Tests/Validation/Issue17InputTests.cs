using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Integration;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Tasks;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Validation;

/// <summary>Issue 17 §2 (R3): input that cannot break a tenant. Each test names the defect it guards.</summary>
public sealed class Issue17InputTests
{
    private const string Lone = "\uDC00";

    private static async Task<TestKernel> ShopAsync()
    {
        var k = await WithOrganizationAsync();
        await k.Session(Admin).Products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);
        return k;
    }

    private static async Task<T> RefusedAsync<T>(TestKernel k, Func<Task> act, string field)
        where T : CrmValidationException
    {
        var head = await k.JournalHeadAsync();
        var error = await Assert.ThrowsAsync<T>(act);
        Assert.Contains(error.Errors, e => e.Field == field);
        Assert.Equal(head, await k.JournalHeadAsync());
        return error;
    }

    private static Task<CrmValidationException> RefusedAsync(TestKernel k, Func<Task> act, string field) =>
        RefusedAsync<CrmValidationException>(k, act, field);

    /// <summary>Guards: a price of 1e23 was accepted, and then 1e23 × 1,000,000 threw OverflowException out of invoice building.</summary>
    [Fact]
    public async Task Issue17_a_price_above_the_amount_limit_is_refused_naming_the_price()
    {
        await using var k = await WithOrganizationAsync();
        await RefusedAsync(k, () => k.Session(Admin).Products.DefineAsync("gold", "Gold", Money.Of(1e23m, "USD")), "price");
        await RefusedAsync(k, () => k.Session(Admin).Products.DefineAsync("dust", "Dust", Money.Of(0.00001m, "USD")), "price");
    }

    /// <summary>Guards: a line whose total passes the amount limit was invoiced (and beyond decimal's range it overflowed); it is a validation error naming the line.</summary>
    [Fact]
    public async Task Issue17_an_invoice_line_above_the_amount_limit_is_a_validation_error_naming_the_line()
    {
        await using var k = await ShopAsync();
        await k.Session(Admin).Products.DefineAsync("yacht", "Yacht", Money.Of(1_000_000_000_000_000m, "USD"));
        var deal = await k.DealAsync(Seller1);

        var error = await RefusedAsync(k, () => k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("chair", 1), new InvoiceLineRequest("yacht", 1_000_000m)]), "lines[1]");
        Assert.Contains("limit", error.Message);
        await RefusedAsync(k, () => k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("chair", 1.00001m)]), "lines[0].quantity");
    }

    /// <summary>Guards: a deal of 79,228,162,514,264,337,593,543,950,335 USD was accepted (and broke every board and report sum).</summary>
    [Fact]
    public async Task Issue17_a_deal_amount_above_the_limit_or_with_five_decimals_is_refused()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Big Co", "+47 22 33 44 55");
        var seller = k.Session(Seller1);

        await RefusedAsync(k, () => seller.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(decimal.MaxValue, "USD"))), "amount");
        await RefusedAsync(k, () => seller.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1.00001m, "USD"))), "amount");
        var deal = await seller.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1_000_000_000_000_000m, "USD")));
        await RefusedAsync(k, () => seller.Deals.SetAmountAsync(deal.Id, Money.Of(1_000_000_000_000_000.0001m, "USD")), "amount");
        await RefusedAsync(k, () => seller.Deals.SetExpectedCloseAsync(deal.Id, new LocalDate(9999, 12, 31)), "date");
    }

    /// <summary>Guards: a call ended at 9999-12-31 threw OverflowException (the call-back task's due instant) instead of a validation error.</summary>
    [Fact]
    public async Task Issue17_a_call_event_at_9999_12_31_is_refused()
    {
        await using var k = await WithOrganizationAsync();
        var at = Instant.FromUtc(9999, 12, 31, 23, 0);
        await RefusedAsync(k, () => k.Kernel.Telephony.HandleAsync(k.Tenant, new CallEvent("c-late", CallEventKind.Ended, CallDirection.Inbound, "+47 22 11 22 33", null, at)), "at");
    }

    /// <summary>Guards: call events with undefined enum values (kind, direction) were accepted and journaled.</summary>
    [Theory]
    [InlineData(99, 0, "kind")]
    [InlineData(-1, 0, "kind")]
    [InlineData(0, 7, "direction")]
    public async Task Issue17_call_events_with_undefined_kind_or_direction_are_refused(int kind, int direction, string field)
    {
        await using var k = await WithOrganizationAsync();
        await RefusedAsync(k, () => k.Kernel.Telephony.HandleAsync(k.Tenant,
            new CallEvent("c-odd", (CallEventKind)kind, (CallDirection)direction, "+47 22 11 22 33", "s1", Start)), field);
    }

    /// <summary>
    /// Guards: unpaired surrogates were accepted and stored as U+FFFD (the read-back differed from what was accepted, two
    /// classifier names became one JSON key and VerifyJournalAsync then reported the client inconsistent), and several
    /// texts had no length limit at all (1,000,001 characters were stored).
    /// </summary>
    [Theory]
    [InlineData("client.name", false)]
    [InlineData("client.city", false)]
    [InlineData("client.city", true)]
    [InlineData("client.region", false)]
    [InlineData("client.region", true)]
    [InlineData("client.industry", false)]
    [InlineData("client.industry", true)]
    [InlineData("client.contact.name", false)]
    [InlineData("client.phone", false)]
    [InlineData("client.email", false)]
    [InlineData("client.classifier.name", false)]
    [InlineData("client.classifier.value", false)]
    [InlineData("client.classifier.value", true)]
    [InlineData("deal.field.name", false)]
    [InlineData("deal.field.value", false)]
    [InlineData("deal.title", false)]
    [InlineData("deal.classifier.value", false)]
    [InlineData("activity.subject", false)]
    [InlineData("activity.body", false)]
    [InlineData("activity.body", true)]
    [InlineData("task.title", false)]
    [InlineData("task.reason", false)]
    [InlineData("task.reason", true)]
    [InlineData("invoice.reason", false)]
    [InlineData("invoice.reason", true)]
    [InlineData("process.variable.name", false)]
    [InlineData("process.variable.value", false)]
    [InlineData("process.variable.value", true)]
    [InlineData("order.buyer.name", false)]
    [InlineData("order.buyer.city", false)]
    [InlineData("order.buyer.city", true)]
    [InlineData("order.buyer.region", false)]
    [InlineData("order.buyer.region", true)]
    [InlineData("order.comment", false)]
    [InlineData("webhook.secret", false)]
    [InlineData("webhook.secret", true)]
    [InlineData("user.name", false)]
    [InlineData("team.name", false)]
    public async Task Issue17_every_text_refuses_unpaired_surrogates_and_has_a_length_limit(string entry, bool huge)
    {
        await using var k = await ShopAsync();
        var deal = await k.DealAsync(Seller1);
        var seller = k.Session(Seller1);
        var task = await seller.Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromDays(1)) { Deal = deal.Id });
        var invoice = await seller.Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("chair", 1)]);
        var bad = huge ? new string('x', 1_000_001) : "Nora" + Lone + "x";
        var field = entry.StartsWith("process.", StringComparison.Ordinal) ? "variables" : entry.Split('.')[^1];

        Func<Task> act = entry switch
        {
            "client.name" => () => seller.Clients.RegisterAsync(new NewClient(bad)),
            "client.city" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { City = bad }),
            "client.region" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { Region = bad }),
            "client.industry" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { Industry = bad }),
            "client.contact.name" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { Contacts = [new ClientContact(bad, "+47 22 99 88 77", null)] }),
            "client.phone" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { Contacts = [new ClientContact(null, "+47 22 99 88 77" + Lone, null)] }),
            "client.email" => () => seller.Clients.RegisterAsync(new NewClient("Ok") { Contacts = [new ClientContact(null, null, "a" + Lone + "@example.com")] }),
            "client.classifier.name" => () => seller.Clients.SetClassifierAsync(deal.Client, bad, "x"),
            "client.classifier.value" => () => seller.Clients.SetClassifierAsync(deal.Client, "status", bad),
            "deal.field.name" => () => seller.Deals.SetFieldAsync(deal.Id, bad, "x"),
            "deal.field.value" => () => seller.Deals.SetFieldAsync(deal.Id, "budget", bad),
            "deal.title" => () => seller.Deals.OpenAsync(new NewDeal(deal.Client, Sales, Money.Of(1, "USD")) { Title = bad }),
            "deal.classifier.value" => () => seller.Deals.SetClassifierAsync(deal.Id, "status", bad),
            "activity.subject" => () => seller.Activities.LogAsync(new NewActivity(ActivityKind.Note, deal.Client, bad)),
            "activity.body" => () => seller.Activities.LogAsync(new NewActivity(ActivityKind.Note, deal.Client, "Note") { Body = bad }),
            "task.title" => () => seller.Tasks.CreateAsync(new NewWorkTask(bad, Start)),
            "task.reason" => () => seller.Tasks.CancelAsync(task.Id, bad),
            "invoice.reason" => () => seller.Invoices.CancelAsync(invoice.Id, bad),
            "process.variable.name" => () => seller.Processes.OpenAsync("delivery", deal.Id, variables: new Dictionary<string, string> { [bad] = "x" }),
            "process.variable.value" => () => seller.Processes.OpenAsync("delivery", deal.Id, variables: new Dictionary<string, string> { ["note"] = bad }),
            "order.buyer.name" => () => k.Kernel.Orders.IntakeAsync(k.Tenant, new WebsiteOrder("web-1", new OrderBuyer(bad, "+47 915 00 001", null), [new InvoiceLineRequest("chair", 1)])),
            "order.buyer.city" => () => k.Kernel.Orders.IntakeAsync(k.Tenant, new WebsiteOrder("web-1", new OrderBuyer("Nora", "+47 915 00 001", null) { City = bad }, [new InvoiceLineRequest("chair", 1)])),
            "order.buyer.region" => () => k.Kernel.Orders.IntakeAsync(k.Tenant, new WebsiteOrder("web-1", new OrderBuyer("Nora", "+47 915 00 001", null) { Region = bad }, [new InvoiceLineRequest("chair", 1)])),
            "order.comment" => () => k.Kernel.Orders.IntakeAsync(k.Tenant, new WebsiteOrder("web-1", new OrderBuyer("Nora", "+47 915 00 001", null), [new InvoiceLineRequest("chair", 1)]) { Comment = bad }),
            "webhook.secret" => () => k.Session(Admin).Webhooks.RegisterAsync(new Uri("https://example.com/hook"), bad + "0123456789abcdef", ["DealOpened"]),
            "user.name" => () => k.Session(Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("u9"), bad)),
            "team.name" => () => k.Session(Admin).Organization.DefineTeamAsync(new TeamId("t9"), bad, Head1),
            _ => throw new ArgumentOutOfRangeException(nameof(entry)),
        };

        var error = await Assert.ThrowsAsync<CrmValidationException>(async () =>
        {
            var head = await k.JournalHeadAsync();
            try
            {
                await act();
            }
            finally
            {
                Assert.Equal(head, await k.JournalHeadAsync());
            }
        });
        Assert.Contains(field, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Guards: an external order id with a non-ASCII or control character was committed (and the WebShop then answered 500 on the Location header).</summary>
    [Theory]
    [InlineData("ordré-1")]
    [InlineData("web\u00011")]
    [InlineData("web\u202E1")]
    [InlineData("web-😀")]
    public async Task Issue17_an_external_order_id_must_be_printable_ascii_and_is_checked_before_anything_is_written(string id)
    {
        await using var k = await ShopAsync();
        await RefusedAsync(k, () => k.Kernel.Orders.IntakeAsync(k.Tenant, new WebsiteOrder(id, new OrderBuyer("Nora", "+47 915 00 001", null), [new InvoiceLineRequest("chair", 1)])), "externalId");
        Assert.Empty(await k.Session(Admin).Clients.ListAsync());
    }

    /// <summary>
    /// Guards: two concurrent orders from one new buyer (different order ids, same new phone or e-mail) made one of them
    /// fail with DuplicateKeyException (the WebShop answered 500 in 20 of 20 rounds). Both must land on one client card.
    /// </summary>
    [Fact]
    public async Task Issue17_two_concurrent_orders_of_one_new_buyer_land_on_one_client_card()
    {
        var folder = Directory.CreateTempSubdirectory("crm-orders-").FullName;
        try
        {
            var services = new ServiceCollection();
            var clock = new FakeClock(Start);
            services.AddSingleton<IClock>(clock);
            services.AddCrmKernel(crm => crm.UseSqlite($"Data Source={Path.Combine(folder, "crm.db")}").Configure(o => o.DefaultPhoneRegion = "NO"));
            await using var provider = services.BuildServiceProvider();
            var k = Wrap(provider.GetRequiredService<CrmKernel>(), clock);
            await k.SetUpOrganizationAsync();
            await k.Session(Admin).Products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);

            for (var round = 0; round < 20; round++)
            {
                var phone = $"+47 915 {round:00} 001";
                var email = $"buyer{round}@shop.no";
                var orders = new[]
                {
                    new WebsiteOrder($"r{round}-a", new OrderBuyer("Nora", phone, null), [new InvoiceLineRequest("chair", 1)]),
                    new WebsiteOrder($"r{round}-b", new OrderBuyer("Nora", phone, email), [new InvoiceLineRequest("chair", 1)]),
                    new WebsiteOrder($"r{round}-c", new OrderBuyer("Nora", phone.Replace(" ", "", StringComparison.Ordinal), email.ToUpperInvariant()), [new InvoiceLineRequest("chair", 1)]),
                };
                var results = await Task.WhenAll(orders.Select(o => Task.Run(() => k.Kernel.Orders.IntakeAsync(k.Tenant, o))));

                Assert.All(results, r => Assert.True(r.Created));
                Assert.Single(results.Select(r => r.Order.Client).Distinct());
            }

            Assert.Equal(20, (await k.Session(Admin).Clients.ListAsync()).Count);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
