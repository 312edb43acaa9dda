using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Discounts;
using Crm.Kernel.Hosting;
using Crm.Kernel.Invoicing;

namespace Crm.Samples.Quickstart;

/// <summary>
/// Discount approvals in the quarter: the tenant's policy holds discounts above 15 % for the head's approval; a seller
/// offers 20 %, the invoice is held, the head approves, the invoice issues; then the discount report is printed.
/// </summary>
internal static class DiscountDemo
{
    public static async Task RunAsync(CrmKernel kernel, TenantId tenant, TextWriter output)
    {
        var admin = kernel.OpenSession(tenant, new UserId("admin"));
        var sellerId = new UserId("ola");
        var seller = kernel.OpenSession(tenant, sellerId);
        await admin.Configuration.DefineDiscountPolicyAsync([new DiscountThreshold(15m, [Recipient.OwnerHead])], version: 1);

        var deal = (await seller.Deals.ListAsync()).First(d => d.Owner == sellerId);
        var invoice = await seller.Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("licence", 10m, 20m)]);
        output.WriteLine();
        output.WriteLine("Discount approvals (policy: above 15 % the head approves)");
        try
        {
            await seller.Invoices.IssueAsync(invoice.Id);
        }
        catch (DiscountApprovalRequiredException held)
        {
            output.WriteLine($"  held: {held.DiscountPercent} % on invoice {invoice.Id} needs {held.Approvers}");
        }

        await seller.Invoices.RequestDiscountApprovalAsync(invoice.Id, "ten licences for a reference customer");
        await kernel.OpenSession(tenant, new UserId("helga")).Invoices.DecideDiscountAsync(invoice.Id, approve: true, reason: null);
        var issued = await seller.Invoices.IssueAsync(invoice.Id);
        output.WriteLine($"  approved by helga; issued as {issued.Number}");

        output.WriteLine("  Seller  Requested  Approved  Rejected  Granted");
        foreach (var row in await admin.Invoices.GetDiscountReportAsync())
        {
            output.WriteLine($"  {row.Seller.Value,-6}  {row.Requested,9}  {row.Approved,8}  {row.Rejected,8}  {row.Granted,7}");
        }
    }
}
