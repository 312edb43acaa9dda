using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Discounts;
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
}
