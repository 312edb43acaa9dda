using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Storage;
using Xunit;

namespace Crm.Kernel.Tests.Storage;

/// <summary>
/// Issue 19: processes, invoices, rules, notifications and webhook subscriptions got typed ids. Stored journals and
/// webhook payloads must not change: each typed id is written as the plain string the event carried before, and the
/// JSON written before reads back into the typed event.
/// </summary>
public sealed class Issue19TypedIdJsonTests
{
    /// <summary>Each event with the JSON the kernel wrote for it when the id was a string (commit 7250461).</summary>
    public static TheoryData<DomainEvent, string> EventsAndTheirJsonBefore() => new()
    {
        { new ProcessCancelled(new ProcessId("p-1"), "no stock"), """{"process":"p-1","reason":"no stock"}""" },
        { new InvoiceIssued(new InvoiceId("inv-7"), "INV-20260105-INV7"), """{"invoice":"inv-7","number":"INV-20260105-INV7"}""" },
        { new InvoiceCancelled(new InvoiceId("inv-7"), "duplicate"), """{"invoice":"inv-7","reason":"duplicate"}""" },
        { new RuleEnabledChanged(new RuleId("small-deal"), false), """{"rule":"small-deal","enabled":false}""" },
        { new NotificationRead(new NotificationId("n-1"), new UserId("anna")), """{"notification":"n-1","recipient":"anna"}""" },
        { new NotificationRequested(new UserId("anna"), "Hi", "Body", null, new NotificationId("n-2")), """{"recipient":"anna","subject":"Hi","body":"Body","id":"n-2"}""" },
        { new NotificationRequested(new UserId("anna"), "Hi", "Body", null), """{"recipient":"anna","subject":"Hi","body":"Body"}""" },
        { new WebhookUnsubscribed(new WebhookSubscriptionId("wh-1")), """{"subscription":"wh-1"}""" },
        { new WebhookReplayed(new WebhookSubscriptionId("wh-1"), Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")), """{"subscription":"wh-1","eventId":"0f8fad5b-d9cb-469f-a165-70867728950e"}""" },
    };

    [Theory]
    [MemberData(nameof(EventsAndTheirJsonBefore))]
    public void Issue19_typed_ids_write_the_json_the_string_ids_wrote(DomainEvent domainEvent, string before)
    {
        var json = domainEvent switch
        {
            ProcessCancelled e => CrmJson.Serialize(e),
            InvoiceIssued e => CrmJson.Serialize(e),
            InvoiceCancelled e => CrmJson.Serialize(e),
            RuleEnabledChanged e => CrmJson.Serialize(e),
            NotificationRead e => CrmJson.Serialize(e),
            NotificationRequested e => CrmJson.Serialize(e),
            WebhookUnsubscribed e => CrmJson.Serialize(e),
            WebhookReplayed e => CrmJson.Serialize(e),
            _ => throw new ArgumentOutOfRangeException(nameof(domainEvent)),
        };

        Assert.Equal(before, json);
    }

    [Theory]
    [MemberData(nameof(EventsAndTheirJsonBefore))]
    public void Issue19_json_written_with_string_ids_reads_back_into_the_typed_event(DomainEvent domainEvent, string before)
    {
        var read = (DomainEvent?)System.Text.Json.JsonSerializer.Deserialize(before, domainEvent.GetType(), CrmJson.Options);
        Assert.Equal(domainEvent, read);
    }

    [Fact]
    public void Issue19_typed_ids_as_dictionary_keys_and_in_lists_stay_plain_strings()
    {
        var byProcess = new Dictionary<ProcessId, InvoiceId[]> { [new ProcessId("p-1")] = [new InvoiceId("a"), new InvoiceId("b")] };
        Assert.Equal("""{"p-1":["a","b"]}""", CrmJson.Serialize(byProcess));
        Assert.Equal(byProcess[new ProcessId("p-1")], CrmJson.Deserialize<Dictionary<ProcessId, InvoiceId[]>>("""{"p-1":["a","b"]}""")[new ProcessId("p-1")]);
    }
}
