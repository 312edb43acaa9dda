using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Invoicing;
using Xunit;
using Xunit.Abstractions;

namespace Crm.Fuzz.Tests;

/// <summary>
/// R3: every entry point gets <see cref="FuzzSettings.Inputs"/> hostile inputs. An input is accepted, or refused with
/// one of the kernel's typed exceptions (a <see cref="CrmException"/>) and then nothing changed (the journal head is
/// the same); any other exception, or a change on a refusal, fails the test with the input that caused it.
/// </summary>
public sealed class KernelFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Phone_numbers()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "phone numbers"));
        await using var k = await FuzzKernel.CreateAsync();
        var tally = new FuzzTally("phone numbers", output);
        var normalizer = new ContactNormalizer("NO");
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var phone = input.Phone();
            await tally.RunAsync(() => FuzzTally.Cut(phone), async () =>
            {
                var accepted = normalizer.TryNormalizePhone(phone, out var e164);
                try
                {
                    var normalized = normalizer.NormalizePhone(phone);
                    if (!accepted || normalized != e164)
                    {
                        tally.Fail($"TryNormalizePhone and NormalizePhone disagree on {FuzzTally.Cut(phone)}");
                    }
                }
                catch (CrmValidationException) when (!accepted)
                {
                }

                await k.Session(FuzzKernel.Seller).Clients.FindByPhoneAsync(phone);
            }, k.HeadAsync);
        }

        tally.AssertClean();
    }

    [Fact]
    public async Task Client_registration()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "client registration"));
        await using var k = await FuzzKernel.CreateAsync();
        var tally = new FuzzTally("client registration", output);
        var clients = k.Session(FuzzKernel.Seller).Clients;
        var registered = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var contacts = Enumerable.Range(0, input.Random.Next(0, 3))
                .Select(_ => new ClientContact(input.MaybeText(), input.Chance(60) ? input.Phone() : null, input.Chance(50) ? input.Email() : null))
                .ToArray();
            var client = new NewClient(input.Text(), input.Pick(ClientKind.Company, ClientKind.Person, (ClientKind)input.Random.Next(-3, 9)))
            {
                Contacts = contacts,
                City = input.MaybeText(),
                Region = input.MaybeText(),
                Industry = input.MaybeText(),
                RegisteredAt = input.Chance(30) ? input.Instant(FuzzKernel.Start) : null,
            };
            var duplicates = input.Chance(20) ? DuplicateHandling.Merge : DuplicateHandling.Fail;
            await tally.RunAsync(() => FuzzTally.Cut($"{client} contacts [{string.Join("; ", contacts.Select(c => c.ToString()))}]"), async () =>
            {
                var stored = await clients.RegisterAsync(client, duplicates);
                registered.Add(stored.Id.Value);
                var read = await clients.GetAsync(stored.Id);
                // What was accepted is what is read back: nothing replaced by U+FFFD or cut by the store.
                if (read.Name != stored.Name || read.City != stored.City || read.Region != stored.Region || read.Industry != stored.Industry)
                {
                    tally.Fail($"read-back differs from what was accepted for {FuzzTally.Cut(client.ToString())}");
                }
            }, k.HeadAsync);
        }

        Assert.Equal(registered.Count, await k.CountAsync("client"));
        tally.AssertClean();
        await AssertJournalConsistentAsync(k);
    }

    [Fact]
    public async Task Field_names_and_values()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "field names and values"));
        await using var k = await FuzzKernel.CreateAsync();
        var tally = new FuzzTally("field names and values", output);
        var seller = k.Session(FuzzKernel.Seller);
        var client = await seller.Clients.RegisterAsync(new NewClient("Field Co"));
        var deal = await seller.Deals.OpenAsync(new NewDeal(client.Id, FuzzKernel.Sales, Money.Of(1, "USD")));
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var name = input.Text();
            var value = input.MaybeText();
            var which = input.Random.Next(5);
            await tally.RunAsync(() => $"#{which} {FuzzTally.Cut(name)} = {FuzzTally.Cut(value)}", which switch
            {
                0 => () => seller.Deals.SetFieldAsync(deal.Id, name, value),
                1 => () => seller.Deals.SetClassifierAsync(deal.Id, name, value),
                2 => () => seller.Clients.SetClassifierAsync(client.Id, name, value),
                3 => () => seller.Deals.OpenAsync(new NewDeal(client.Id, FuzzKernel.Sales, Money.Of(input.Amount(), "USD"))
                {
                    Title = input.MaybeText(),
                    Source = input.MaybeText(),
                    Fields = new Dictionary<string, string> { [name] = value ?? "", [input.Text()] = input.Text() },
                }),
                _ => () => seller.Deals.RaiseSignalAsync(deal.Id, name),
            }, k.HeadAsync);
        }

        tally.AssertClean();
        await AssertJournalConsistentAsync(k);
    }

    [Fact]
    public async Task Call_events()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "call events"));
        await using var k = await FuzzKernel.CreateAsync();
        var tally = new FuzzTally("call events", output);
        var ids = new List<string>();
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var id = ids.Count > 0 && input.Chance(40) ? ids[input.Random.Next(ids.Count)] : input.Chance(70) ? "call-" + i : input.Text();
            ids.Add(id);
            var call = new CallEvent(id,
                input.Chance(85) ? (CallEventKind)input.Random.Next(3) : (CallEventKind)input.Random.Next(-3, 10),
                input.Chance(85) ? (CallDirection)input.Random.Next(2) : (CallDirection)input.Random.Next(-3, 10),
                input.Phone(),
                input.Pick<string?>(null, "201", "s1", "999", input.Text()),
                input.Instant(FuzzKernel.Start),
                input.MaybeText());
            await tally.RunAsync(() => FuzzTally.Cut(call.ToString()), () => k.Kernel.Telephony.HandleAsync(k.Tenant, call), k.HeadAsync);
        }

        tally.AssertClean();
        await AssertJournalConsistentAsync(k);
    }

    [Fact]
    public async Task Invoice_lines_and_prices()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "invoice lines"));
        await using var k = await FuzzKernel.CreateAsync();
        var tally = new FuzzTally("invoice lines", output);
        var seller = k.Session(FuzzKernel.Seller);
        var client = await seller.Clients.RegisterAsync(new NewClient("Invoice Co"));
        var deal = await seller.Deals.OpenAsync(new NewDeal(client.Id, FuzzKernel.Sales, Money.Of(1, "USD")));
        var products = new List<string> { "chair" };
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            if (input.Chance(20))
            {
                var id = input.Chance(70) ? "p" + i : input.Text();
                var price = input.Amount();
                var tax = input.Pick(0m, 0.25m, 1m, -0.1m, 7m, input.Amount());
                await tally.RunAsync(() => $"product {FuzzTally.Cut(id)} at {price} tax {tax}", async () =>
                {
                    await k.Session(FuzzKernel.Admin).Products.DefineAsync(id, input.Chance(80) ? "Product " + i : input.Text(), Money.Of(price, "USD"), tax);
                    products.Add(id);
                }, k.HeadAsync);
                continue;
            }

            var lines = Enumerable.Range(0, input.Chance(3) ? input.Random.Next(150, 260) : input.Random.Next(0, 4))
                .Select(_ => new InvoiceLineRequest(input.Chance(80) ? products[input.Random.Next(products.Count)] : input.Text(),
                    input.Chance(50) ? input.Random.Next(1, 100) : input.Amount(),
                    input.Chance(70) ? 0m : input.Amount()))
                .ToArray();
            await tally.RunAsync(() => $"{lines.Length} lines: {FuzzTally.Cut(string.Join("; ", lines.Take(3)))}",
                () => seller.Invoices.CreateAsync(deal.Id, lines), k.HeadAsync);
        }

        tally.AssertClean();
        await AssertJournalConsistentAsync(k);
    }

    private static async Task AssertJournalConsistentAsync(FuzzKernel k)
    {
        var verification = await k.Kernel.VerifyJournalAsync(k.Tenant);
        Assert.True(verification.IsConsistent, string.Join("\n", verification.Differences.Take(10)));
    }
}
