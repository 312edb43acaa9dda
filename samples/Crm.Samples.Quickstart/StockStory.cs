using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Hosting;

namespace Crm.Samples.Quickstart;

/// <summary>Stock running down past its reorder point, a purchase order and a task for the purchaser, and the order arriving.</summary>
internal static class StockStory
{
    public static async Task RunAsync(CrmKernel kernel, TenantId tenant, TextWriter output)
    {
        var admin = kernel.OpenSession(tenant, new UserId("admin"));
        await admin.Products.DefineAsync("qs-tyres", "Winter tyre set", Money.Of(6_000m, "NOK"));
        await admin.Stock.DefineWarehouseAsync("qs-yard", "Tyre yard");
        var supplier = await admin.Clients.RegisterAsync(new NewClient("Nordic Tyre Supply AS", ClientKind.Supplier));
        await admin.Stock.DefineReorderPointAsync("qs-tyres", "qs-yard", 4m, 12m, supplier.Id, new UserId("admin"));
        await admin.Stock.LogReceiptAsync("qs-tyres", "qs-yard", 10m);
        output.WriteLine();
        output.WriteLine("Stock: winter tyre sets at the tyre yard (reorder point 4, order 12)");
        foreach (var sold in new[] { 3m, 2m, 2m })
        {
            var level = await admin.Stock.LogWriteOffAsync("qs-tyres", "qs-yard", sold, "sold at the counter");
            output.WriteLine($"  sold {sold} → available {level.Available}");
        }

        var order = (await admin.Stock.ListPurchaseOrdersAsync("qs-tyres")).Single(o => !o.Received);
        output.WriteLine($"  purchase order {order.Id}: {order.Quantity} sets from {supplier.Name}; a task went to the purchaser");
        var received = await admin.Stock.ReceivePurchaseOrderAsync(order.Id);
        output.WriteLine($"  order received → available {received.Available}");
    }
}
