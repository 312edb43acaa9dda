using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Ports;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Integration;

public sealed class TelephonyTests
{
    private sealed class FakeGateway : ITelephonyGateway
    {
        public List<(UserId From, string To)> Dialled { get; } = new();

        public Task<string> DialAsync(UserId from, string e164Number, CancellationToken cancellationToken = default)
        {
            Dialled.Add((from, e164Number));
            return Task.FromResult("out-" + Dialled.Count);
        }
    }

    private static CallEvent Event(string id, CallEventKind kind, string number, string? extension, Instant at, string? recording = null) =>
        new(id, kind, CallDirection.Inbound, number, extension, at, recording);

    [Fact]
    public async Task A_known_caller_is_recognized_in_any_number_format_and_gets_the_client_card()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.Session(Seller1).Clients.RegisterAsync(new NewClient("Fjord AS")
        {
            Contacts = [new ClientContact("Kari", "22 33 44 55", null), new ClientContact("Ola", "+47 915 55 555", null)],
        });
        var deal = await k.Session(Seller1).Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(100, "USD")));

        var answered = await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c1", CallEventKind.Answered, "0047 91555555", "s1", Start));
        var ended = await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c1", CallEventKind.Ended, "+4791555555", "s1", Start + Duration.FromMinutes(7), "rec://c1"));

        Assert.True(answered.Recognized);
        Assert.Equal(client.Id, answered.Call.Client);
        var card = await k.Kernel.Telephony.GetClientCardAsync(k.Tenant, client.Id, Seller1);
        Assert.Equal([deal.Id], card.OpenDeals.Select(d => d.Id));
        var activity = Assert.Single(card.LastActivities);
        Assert.Equal((ActivityKind.Call, Duration.FromMinutes(7), "rec://c1", deal.Id), (activity.Kind, activity.Duration, activity.RecordingReference, activity.Deal));
        Assert.Contains(await k.Session(Admin).Journal.ListAsync(0, 10_000), e => e.Event is CallerRecognized { For.Value: "s1" });
        Assert.False(ended.Recognized);
    }

    [Fact]
    public async Task An_unknown_caller_becomes_a_client_and_a_deal_in_Unsorted_owned_by_whoever_answered()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("s9"), "Sol", CrmRole.Seller) { Team = South, Extension = "209" });

        var handled = await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c2", CallEventKind.Answered, "+47 22 11 22 33", "209", Start));
        var again = await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c2", CallEventKind.Answered, "+47 22 11 22 33", "209", Start));

        var deal = await k.Session(new UserId("s9")).Deals.GetAsync(handled.CreatedDeal!.Value);
        Assert.Equal((Unsorted, new UserId("s9"), "call"), (deal.Stage, deal.Owner, deal.Source));
        Assert.Equal("+4722112233", (await k.Session(new UserId("s9")).Clients.GetAsync(deal.Client)).Contacts[0].Phone);
        Assert.Null(again.CreatedDeal);       // the adapter retried: applied once
        Assert.Single(await k.Session(Admin).Deals.ListAsync());
        var board = await k.Session(new UserId("s9")).Deals.GetBoardAsync(Sales);
        Assert.Equal(1, board.Columns.Single(c => c.Stage.IsUnsorted).Count);
    }

    [Fact]
    public async Task A_missed_call_creates_a_call_back_task()
    {
        await using var k = await WithOrganizationAsync();
        var client = await k.ClientAsync(Seller3, "Bygg AS", "+47 22 99 88 77");
        await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c3", CallEventKind.Ringing, "22998877", "s1", Start));
        var ended = await k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c3", CallEventKind.Ended, "22998877", null, Start + Duration.FromSeconds(30)));

        Assert.True(ended.Call.Missed);
        var task = Assert.Single(await k.Session(Seller3).Tasks.ListAsync());   // the client's owner calls back
        Assert.Equal(ended.CallbackTask, task.Id);
        Assert.Contains("+4722998877", task.Title);
        Assert.Equal(client.Id, task.Client);
    }

    [Theory]
    [InlineData("12")]
    [InlineData("call me maybe")]
    [InlineData("")]
    public async Task Malformed_numbers_are_rejected_and_nothing_is_written(string number)
    {
        await using var k = await WithOrganizationAsync();
        var head = await k.JournalHeadAsync();
        var error = await Assert.ThrowsAsync<CrmValidationException>(() => k.Kernel.Telephony.HandleAsync(k.Tenant, Event("c4", CallEventKind.Answered, number, "s1", Start)));
        Assert.Equal("externalNumber", error.Errors[0].Field);
        Assert.Equal(head, await k.JournalHeadAsync());
    }

    [Fact]
    public async Task Click_to_call_goes_through_the_telephony_port()
    {
        var gateway = new FakeGateway();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<ITelephonyGateway>(gateway));
        var client = await k.ClientAsync(Seller1, "Fjord AS", "22 33 44 55");

        var call = await k.Session(Seller1).Telephony.DialAsync(client.Id);

        Assert.Equal([(Seller1, "+4722334455")], gateway.Dialled);
        Assert.Equal((CallDirection.Outbound, client.Id), (call.Direction, call.Client));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller3).Telephony.DialAsync(client.Id));
    }
}
