using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Stock;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Stock;

/// <summary>
/// Issue 20's stock guarantee under random sequences of commands (receipts, write-offs, returns, transfers, invoices
/// issued, paid and cancelled, the backorder policy switched on and off): for every product and warehouse, on hand =
/// receipts − write-offs + returns ± transfers, reserved = what open invoices reserved, and available = on hand −
/// reserved ≥ 0 unless a backorder was explicitly allowed. Every refusal is justified by the model, every success too.
/// </summary>
public sealed class Issue20StockProperties
{
    private static readonly string[] Products = ["p1", "p2"];
    private static readonly string[] Warehouses = ["w1", "w2"];

    /// <summary>One command: an operation and its arguments (indexes into the products and warehouses, a quantity).</summary>
    public sealed record Command(int Op, int Product, int Warehouse, int Other, int Quantity)
    {
        public override string ToString() => $"{Op}:{Products[Product]}@{Warehouses[Warehouse]}->{Warehouses[Other]}x{Quantity}";
    }

    private static Gen<Command> CommandGen() =>
        from op in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)), (2, Gen.Constant(3)),
            (4, Gen.Constant(4)), (2, Gen.Constant(5)), (2, Gen.Constant(6)), (1, Gen.Constant(7)))
        from product in Gen.Choose(0, 1)
        from warehouse in Gen.Choose(0, 1)
        from other in Gen.Choose(0, 1)
        from quantity in Gen.Choose(1, 6)
        select new Command(op, product, warehouse, other, quantity);

    /// <summary>Sequences of 0 to 30 commands.</summary>
    public static class Generators
    {
        public static Arbitrary<Command[]> Commands() => Gen.ArrayOf(CommandGen()).Select(a => a.Take(30).ToArray()).ToArbitrary();
    }

    [Property(MaxTest = 30, Arbitrary = [typeof(Generators)])]
    public bool Issue20_stock_equals_its_movements_and_available_never_goes_negative_without_a_backorder(Command[] commands) =>
        RunAsync(commands).GetAwaiter().GetResult();

    private static async Task<bool> RunAsync(Command[] commands)
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin);
        var seller = k.Session(Seller1);
        foreach (var product in Products)
        {
            await admin.Products.DefineAsync(product, product.ToUpperInvariant(), Money.Of(10m, "USD"));
        }

        foreach (var warehouse in Warehouses)
        {
            await admin.Stock.DefineWarehouseAsync(warehouse, warehouse.ToUpperInvariant());
        }

        var deal = await k.DealAsync(Seller1);

        // The model: on hand and reserved per (product, warehouse); open reservations per invoice; tracked products.
        var onHand = new Dictionary<(string, string), decimal>();
        var reserved = new Dictionary<(string, string), decimal>();
        var open = new List<(InvoiceId Invoice, string Product, decimal Quantity, bool Reserved)>();
        var tracked = new HashSet<string>();
        var allowBackorders = false;
        var policyVersion = 0;
        decimal Get(Dictionary<(string, string), decimal> d, string p, string w) => d.GetValueOrDefault((p, w));
        void Add(Dictionary<(string, string), decimal> d, string p, string w, decimal q) => d[(p, w)] = Get(d, p, w) + q;
        decimal Available(string p, string w) => Get(onHand, p, w) - Get(reserved, p, w);

        foreach (var c in commands)
        {
            var p = Products[c.Product];
            var w = Warehouses[c.Warehouse];
            var other = Warehouses[c.Other];
            decimal q = c.Quantity;
            switch (c.Op)
            {
                case 0:
                    await admin.Stock.LogReceiptAsync(p, w, q);
                    Add(onHand, p, w, q);
                    tracked.Add(p);
                    break;
                case 1:
                    if (!await Refused(() => admin.Stock.LogWriteOffAsync(p, w, q, "damaged"), Available(p, w) < q))
                    {
                        return false;
                    }

                    if (Available(p, w) >= q)
                    {
                        Add(onHand, p, w, -q);
                    }

                    break;
                case 2:
                    await admin.Stock.LogReturnAsync(p, w, q, "returned");
                    Add(onHand, p, w, q);
                    tracked.Add(p);
                    break;
                case 3 when w != other:
                    if (!await Refused(() => admin.Stock.LogTransferAsync(p, w, other, q), Available(p, w) < q))
                    {
                        return false;
                    }

                    if (Available(p, w) >= q)
                    {
                        Add(onHand, p, w, -q);
                        Add(onHand, p, other, q);
                        tracked.Add(p);
                    }

                    break;
                case 4:
                    {
                        // Reservations go to the first warehouse defined (w1); an untracked product is not reserved.
                        var invoice = await seller.Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest(p, q)]);
                        var reserves = tracked.Contains(p);
                        var refuse = reserves && !allowBackorders && Available(p, "w1") < q;
                        if (!await Refused(() => seller.Invoices.IssueAsync(invoice.Id), refuse))
                        {
                            return false;
                        }

                        if (!refuse)
                        {
                            open.Add((invoice.Id, p, q, reserves));
                            if (reserves)
                            {
                                Add(reserved, p, "w1", q);
                            }
                        }

                        break;
                    }

                case 5 or 6 when open.Count > 0:
                    {
                        var (invoice, product, quantity, wasReserved) = open[c.Quantity % open.Count];
                        open.RemoveAll(o => o.Invoice == invoice);
                        if (c.Op == 5)
                        {
                            await admin.Invoices.MarkPaidAsync(invoice);
                        }
                        else
                        {
                            await seller.Invoices.CancelAsync(invoice, "changed their mind");
                        }

                        if (wasReserved)
                        {
                            Add(reserved, product, "w1", -quantity);
                            if (c.Op == 5)
                            {
                                Add(onHand, product, "w1", -quantity);
                            }
                        }

                        break;
                    }

                case 7:
                    allowBackorders = !allowBackorders;
                    await admin.Configuration.DefineStockPolicyAsync(allowBackorders, null, ++policyVersion);
                    break;
            }
        }

        // The stored stock equals the model, and the journal's movements add up to it.
        var journal = (await admin.Journal.ListAsync(0, 100_000)).Select(e => e.Event).ToList();
        foreach (var p in Products)
        {
            var levels = (await seller.Stock.GetAsync(p)).ToDictionary(l => l.Warehouse);
            foreach (var w in Warehouses)
            {
                var level = levels.GetValueOrDefault(w) ?? new StockLevel(p, w, 0m, 0m);
                var fromJournal =
                    journal.OfType<StockReceived>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    - journal.OfType<StockWrittenOff>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    + journal.OfType<StockReturned>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    + journal.OfType<StockTransferredIn>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    - journal.OfType<StockTransferredOut>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity);
                var reservedFromJournal =
                    journal.OfType<StockReserved>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    - journal.OfType<StockReleased>().Where(e => e.Product == p && e.Warehouse == w).Sum(e => e.Quantity)
                    - journal.OfType<StockWrittenOff>().Where(e => e.Product == p && e.Warehouse == w && e.Invoice is not null).Sum(e => e.Quantity);
                var backordered = journal.OfType<StockReserved>().Any(e => e.Product == p && e.Warehouse == w && e.Backorder);
                if (level.OnHand != Get(onHand, p, w) || level.Reserved != Get(reserved, p, w)
                    || level.OnHand != fromJournal || level.Reserved != reservedFromJournal
                    || (level.OnHand < 0m || level.Available < 0m) && !backordered)
                {
                    throw new InvalidOperationException($"{p}@{w}: stored {level}; model on hand {Get(onHand, p, w)}, reserved {Get(reserved, p, w)}; journal on hand {fromJournal}, reserved {reservedFromJournal}; backordered {backordered}");
                }
            }
        }

        return (await k.Kernel.VerifyJournalAsync(k.Tenant)).Differences.Count == 0;
    }

    /// <summary>Runs a command that the model says must be refused (or must not): false when the kernel disagrees.</summary>
    private static async Task<bool> Refused(Func<Task> command, bool mustRefuse)
    {
        try
        {
            await command();
        }
        catch (InsufficientStockException e)
        {
            return mustRefuse ? true : throw new InvalidOperationException("refused although the model has enough: " + e.Message);
        }

        return !mustRefuse ? true : throw new InvalidOperationException("went through although the model says it must be refused");
    }
}
