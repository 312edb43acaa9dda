using Crm.Abstractions;
using Crm.Kernel.Clients;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Clients;

public sealed class ClientTests
{
    [Fact]
    public async Task Phones_are_normalized_to_e164_and_emails_to_lower_case()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Fjord AS", "22 33 44 55", " Post@Fjord.NO ");

        Assert.Equal("+4722334455", client.Contacts[0].Phone);
        Assert.Equal("post@fjord.no", client.Contacts[0].Email);
    }

    [Theory]
    [InlineData("+47 22 33 44 55")]
    [InlineData("0047 22334455")]
    [InlineData("(+47) 22-33-44-55")]
    public async Task Same_phone_in_another_format_is_a_duplicate_naming_the_existing_client(string phone)
    {
        await using var k = await WithOrganizationAsync();
        var first = await k.ClientAsync(Seller1, "Fjord AS", "22 33 44 55");

        var error = await Assert.ThrowsAsync<DuplicateClientException>(() => k.ClientAsync(Seller1, "Fjord copy", phone));

        Assert.Equal(first.Id, error.ExistingClient);
        Assert.Contains("Fjord AS", error.Message);
        Assert.Single(await k.Session(Seller1).Clients.ListAsync());
    }

    [Fact]
    public async Task Same_email_in_other_case_is_a_duplicate_across_sellers()
    {
        await using var k = await WithOrganizationAsync();
        await k.ClientAsync(Seller1, "Fjord AS", email: "post@fjord.no");
        // Seller3 may not see Seller1's card: the contact is taken, without naming the card (issue 17).
        await Assert.ThrowsAnyAsync<DuplicateKeyException>(() => k.ClientAsync(Seller3, "Fjord", email: "POST@FJORD.NO"));
    }

    [Fact]
    public async Task Merge_adds_new_contacts_to_the_existing_card()
    {
        await using var k = await WithOrganizationAsync();
        var first = await k.ClientAsync(Seller1, "Fjord AS", "22 33 44 55");

        var merged = await k.Session(Seller1).Clients.RegisterAsync(new NewClient("Fjord AS")
        {
            Contacts = [new ClientContact("Kari", "+47 22 33 44 55", "kari@fjord.no")],
        }, DuplicateHandling.Merge);

        Assert.Equal(first.Id, merged.Id);
        Assert.Equal(2, merged.Contacts.Count);
        Assert.Equal(first.Id, (await k.Session(Seller1).Clients.FindByPhoneAsync("22334455"))!.Id);
        await Assert.ThrowsAsync<DuplicateClientException>(() => k.ClientAsync(Seller1, "Kari AS", email: "Kari@Fjord.no"));
    }

    [Theory]
    [InlineData("12", null)]
    [InlineData("not a phone", null)]
    [InlineData(null, "no-at-sign")]
    public async Task Malformed_contacts_are_rejected_with_the_field_path(string? phone, string? email)
    {
        await using var k = await WithOrganizationAsync();
        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.ClientAsync(Seller1, "Bad", phone, email));
        Assert.StartsWith("contacts[0].", error.Errors[0].Field);
        Assert.Empty(await k.Session(Seller1).Clients.ListAsync());
    }

    [Fact]
    public async Task Find_by_phone_in_any_format()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller1, "Fjord AS", "+4722334455");
        Assert.Equal(client.Id, (await k.Session(Seller1).Clients.FindByPhoneAsync("22 33 44 55"))!.Id);
        Assert.Null(await k.Session(Seller3).Clients.FindByPhoneAsync("22 33 44 55"));
        Assert.Null(await k.Session(Seller1).Clients.FindByPhoneAsync("22 33 44 56"));
    }
}
