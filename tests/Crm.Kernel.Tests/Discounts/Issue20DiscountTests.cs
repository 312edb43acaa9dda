using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Discounts;
using Crm.Kernel.Invoicing;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Discounts;

/// <summary>Issue 20, discount approvals: the per-tenant discount policy.</summary>
public sealed class Issue20DiscountTests
{
    private static readonly DiscountThreshold[] TwoSteps =
    [
        new(10m, [Recipient.OwnerHead]),
        new(25m, [Recipient.OwnerHead, Recipient.User(Head2)]),
    ];

    /// <summary>Guards: a valid policy is stored as the tenant's <c>discount-policy</c> setting with its approvers in the one recipient text form, versioned like every setting.</summary>
    [Fact]
    public async Task Issue20_discount_policy_is_a_versioned_tenant_setting()
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin).Configuration;
        await admin.DefineDiscountPolicyAsync(TwoSteps, 1);

        var stored = (await admin.ListAsync()).Single(s => s.Kind == "discount-policy");
        Assert.Equal(1, stored.Version);
        Assert.Contains("ownerHead", stored.Json, StringComparison.Ordinal);
        Assert.Contains("user:h2", stored.Json, StringComparison.Ordinal);

        var again = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineDiscountPolicyAsync(TwoSteps, 1));
        Assert.Equal("version", Assert.Single(again.Errors).Field);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Configuration.DefineDiscountPolicyAsync(TwoSteps, 2));
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "above100", "thresholds[0].abovePercent" },
        { "negative", "thresholds[0].abovePercent" },
        { "descending", "thresholds[1].abovePercent" },
        { "noSteps", "thresholds[0].steps" },
        { "dealOwner", "thresholds[0].steps[0]" },
        { "role", "thresholds[0].steps[1]" },
        { "unknownUser", "thresholds[1].steps[1]" },
    };

    /// <summary>Guards: a policy that is out of range, not ascending, without steps, with an approver other than ownerHead/user:&lt;id&gt; or naming an unknown user is refused with the field named, and nothing is recorded.</summary>
    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Issue20_discount_policy_is_checked_before_anything_is_recorded(string which, string field)
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin).Configuration;
        DiscountThreshold[] policy = which switch
        {
            "above100" => [new(100.5m, [Recipient.OwnerHead])],
            "negative" => [new(-1m, [Recipient.OwnerHead])],
            "descending" => [new(20m, [Recipient.OwnerHead]), new(20m, [Recipient.OwnerHead])],
            "noSteps" => [new(10m, [])],
            "dealOwner" => [new(10m, [Recipient.DealOwner])],
            "role" => [new(10m, [Recipient.OwnerHead, Recipient.Role("finance")])],
            _ => [new(10m, [Recipient.OwnerHead]), new(25m, [Recipient.OwnerHead, Recipient.User(new UserId("nobody"))])],
        };

        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineDiscountPolicyAsync(policy, 1));
        Assert.Equal(field, Assert.Single(refused.Errors).Field);
        Assert.DoesNotContain(await admin.ListAsync(), s => s.Kind == "discount-policy");
    }

    private static async Task<Invoice> DiscountedInvoiceAsync(TestKernel k, decimal discount)
    {
        var admin = k.Session(Admin);
        await admin.Configuration.DefineDiscountPolicyAsync(TwoSteps, 1);
        await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(500m, "USD"));
        var deal = await k.DealAsync(Seller1);
        return await k.Session(Seller1).Invoices.CreateAsync(deal.Id, [new InvoiceLineRequest("desk", 1m, discount), new InvoiceLineRequest("desk", 1m, 5m)]);
    }

    /// <summary>Guards: an invoice whose largest line discount crosses a threshold cannot be issued (the refusal names the discount, the threshold and the approver) until the head approved; a discount under every threshold issues at once.</summary>
    [Fact]
    public async Task Issue20_an_invoice_above_a_threshold_is_held_until_approved()
    {
        await using var k = await WithOrganizationAsync();
        var invoice = await DiscountedInvoiceAsync(k, 15m);
        var seller = k.Session(Seller1).Invoices;

        var held = await Assert.ThrowsAsync<DiscountApprovalRequiredException>(() => seller.IssueAsync(invoice.Id));
        Assert.Equal(15m, held.DiscountPercent);
        Assert.Equal(10m, held.ThresholdPercent);
        Assert.Contains("ownerHead", held.Message, StringComparison.Ordinal);
        Assert.Equal(InvoiceStatus.Draft, (await seller.GetAsync(invoice.Id)).Status);

        await seller.RequestDiscountApprovalAsync(invoice.Id, "long-standing client");
        await Assert.ThrowsAsync<DiscountApprovalRequiredException>(() => seller.IssueAsync(invoice.Id));
        Assert.Contains(await k.Session(Head1).Inbox.ListAsync(), n => n.Subject.Contains("Discount approval", StringComparison.Ordinal));

        await k.Session(Head1).Invoices.DecideDiscountAsync(invoice.Id, approve: true, reason: null);
        Assert.Equal(InvoiceStatus.Issued, (await seller.IssueAsync(invoice.Id)).Status);

        var small = await seller.CreateAsync(invoice.Deal, [new InvoiceLineRequest("desk", 1m, 10m)]);
        Assert.Equal(InvoiceStatus.Issued, (await seller.IssueAsync(small.Id)).Status);
    }

    /// <summary>Guards: above the second threshold the head approves first, then the named user; the invoice stays held after the first step, and the wrong approver (even the right one out of turn) is refused without changing anything.</summary>
    [Fact]
    public async Task Issue20_two_step_approval_and_the_wrong_approver_is_refused()
    {
        await using var k = await WithOrganizationAsync();
        var invoice = await DiscountedInvoiceAsync(k, 30m);
        var seller = k.Session(Seller1).Invoices;
        await seller.RequestDiscountApprovalAsync(invoice.Id, "volume order");

        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head2).Invoices.DecideDiscountAsync(invoice.Id, true, null));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Admin).Invoices.DecideDiscountAsync(invoice.Id, true, null));
        await Assert.ThrowsAsync<AccessDeniedException>(() => seller.DecideDiscountAsync(invoice.Id, true, null));

        await k.Session(Head1).Invoices.DecideDiscountAsync(invoice.Id, true, null);
        var waiting = await Assert.ThrowsAsync<DiscountApprovalRequiredException>(() => seller.IssueAsync(invoice.Id));
        Assert.Contains("h2", waiting.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Invoices.DecideDiscountAsync(invoice.Id, true, null));

        await k.Session(Head2).Invoices.DecideDiscountAsync(invoice.Id, true, null);
        Assert.Equal(InvoiceStatus.Issued, (await seller.IssueAsync(invoice.Id)).Status);
    }

    /// <summary>Guards: a rejection needs a reason, tells the seller why, and the invoice stays held (the refusal repeats the reason); a new request starts over.</summary>
    [Fact]
    public async Task Issue20_rejection_says_why_and_the_invoice_stays_held()
    {
        await using var k = await WithOrganizationAsync();
        var invoice = await DiscountedInvoiceAsync(k, 15m);
        var seller = k.Session(Seller1).Invoices;
        await seller.RequestDiscountApprovalAsync(invoice.Id, "please");
        var head = k.Session(Head1).Invoices;

        await Assert.ThrowsAsync<CrmValidationException>(() => head.DecideDiscountAsync(invoice.Id, false, " "));
        await head.DecideDiscountAsync(invoice.Id, false, "margin too low this quarter");

        Assert.Contains(await k.Session(Seller1).Inbox.ListAsync(), n => n.Body.Contains("margin too low this quarter", StringComparison.Ordinal));
        var held = await Assert.ThrowsAsync<DiscountApprovalRequiredException>(() => seller.IssueAsync(invoice.Id));
        Assert.Contains("margin too low this quarter", held.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidStateException>(() => head.DecideDiscountAsync(invoice.Id, true, null));

        await seller.RequestDiscountApprovalAsync(invoice.Id, "second try");
        await head.DecideDiscountAsync(invoice.Id, true, null);
        Assert.Equal(InvoiceStatus.Issued, (await seller.IssueAsync(invoice.Id)).Status);
    }

    /// <summary>Guards: a pending step reminds its approver after a day and escalates to the approver's head after two (on the fake clock); a decided step's timers no longer fire.</summary>
    [Fact]
    public async Task Issue20_a_pending_step_reminds_then_escalates_and_deciding_stops_them()
    {
        await using var k = await WithOrganizationAsync();
        var invoice = await DiscountedInvoiceAsync(k, 30m);
        await k.Session(Seller1).Invoices.RequestDiscountApprovalAsync(invoice.Id, "volume order");
        async Task<int> CountAsync(UserId user, string subject) => (await k.Session(user).Inbox.ListAsync()).Count(n => n.Subject.StartsWith(subject, StringComparison.Ordinal));

        k.Clock.Advance(Duration.FromHours(23));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        Assert.Equal(0, await CountAsync(Head1, "Reminder: discount"));

        k.Clock.Advance(Duration.FromHours(2));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        Assert.Equal(1, await CountAsync(Head1, "Reminder: discount"));
        Assert.Equal(0, await CountAsync(Admin, "Escalation: discount"));

        k.Clock.Advance(Duration.FromDays(1));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        var escalatedTo = (await Task.WhenAll(new[] { Admin, Head1, Head2 }.Select(async u => (u, n: await CountAsync(u, "Escalation: discount"))))).Where(x => x.n > 0).Select(x => x.u).ToList();
        Assert.Single(escalatedTo);

        await k.Session(Head1).Invoices.DecideDiscountAsync(invoice.Id, true, null);
        k.Clock.Advance(Duration.FromDays(5));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());
        Assert.Equal(1, await CountAsync(Head1, "Reminder: discount"));
        Assert.Equal(1, await CountAsync(Head2, "Reminder: discount"));
    }

    /// <summary>Guards: the report counts requests (again after a rejection), approvals, rejections and discounted invoices issued per seller; a seller sees only their own row, their head the team's, another team's head nothing of theirs.</summary>
    [Fact]
    public async Task Issue20_the_discount_report_counts_per_seller_within_visibility()
    {
        await using var k = await WithOrganizationAsync();
        var first = await DiscountedInvoiceAsync(k, 15m);
        var s1 = k.Session(Seller1).Invoices;
        var head = k.Session(Head1).Invoices;
        await s1.RequestDiscountApprovalAsync(first.Id, "one");
        await head.DecideDiscountAsync(first.Id, false, "no");
        await s1.RequestDiscountApprovalAsync(first.Id, "two");
        await head.DecideDiscountAsync(first.Id, true, null);
        await s1.IssueAsync(first.Id);

        var deal2 = await k.DealAsync(Seller2);
        var second = await k.Session(Seller2).Invoices.CreateAsync(deal2.Id, [new InvoiceLineRequest("desk", 1m, 20m)]);
        await k.Session(Seller2).Invoices.RequestDiscountApprovalAsync(second.Id, "three");
        await head.DecideDiscountAsync(second.Id, false, "too much");

        Assert.Equal([new DiscountReportRow(Seller1, 2, 1, 1, 1)], await s1.GetDiscountReportAsync());
        Assert.Equal([new DiscountReportRow(Seller1, 2, 1, 1, 1), new DiscountReportRow(Seller2, 1, 0, 1, 0)], await head.GetDiscountReportAsync());
        Assert.Empty(await k.Session(Head2).Invoices.GetDiscountReportAsync());
        Assert.Equal(2, (await k.Session(Admin).Invoices.GetDiscountReportAsync()).Count);
    }
}
