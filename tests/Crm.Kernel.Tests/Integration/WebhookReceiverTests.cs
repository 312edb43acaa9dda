using Crm.Kernel.Integration;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Crm.Kernel.Tests.Integration;

/// <summary>Issue 18: the receiver-side helper accepts what the kernel signs and refuses forgeries, stale and replayed deliveries.</summary>
public sealed class WebhookReceiverTests
{
    private const string Secret = "a-very-secret-key-of-the-shop";
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 2, 9, 0);

    private static (string Timestamp, string Signature, string Id, string Body) Delivery(Instant at, string body = "{\"id\":1}", string secret = Secret)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (timestamp, WebhookDelivery.Sign(secret, timestamp, body), Guid.NewGuid().ToString("N"), body);
    }

    [Fact]
    public void Issue18_a_signed_delivery_is_accepted_once_and_its_redelivery_is_a_duplicate()
    {
        var receiver = new WebhookReceiver(Secret, new FakeClock(Now));
        var d = Delivery(Now);
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(d.Timestamp, d.Signature, d.Id, d.Body));

        // The kernel's retry signs the same event anew, later.
        var later = Delivery(Now + Duration.FromSeconds(30), d.Body) with { Id = d.Id };
        Assert.Equal(WebhookVerdict.Duplicate, receiver.Verify(later.Timestamp, later.Signature, later.Id, later.Body));

        // Processing failed: forgotten, so the next retry is accepted.
        Assert.True(receiver.Forget(Guid.ParseExact(d.Id, "N")));
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(later.Timestamp, later.Signature, later.Id, later.Body));
    }

    [Fact]
    public void Issue18_forged_tampered_stale_and_malformed_deliveries_are_refused()
    {
        var receiver = new WebhookReceiver(Secret, new FakeClock(Now), Duration.FromMinutes(5));
        var d = Delivery(Now);

        Assert.Equal(WebhookVerdict.BadSignature, receiver.Verify(d.Timestamp, d.Signature, d.Id, d.Body + " "));
        var forged = Delivery(Now, secret: "another-secret-of-16-chars");
        Assert.Equal(WebhookVerdict.BadSignature, receiver.Verify(forged.Timestamp, forged.Signature, forged.Id, forged.Body));
        Assert.Equal(WebhookVerdict.BadSignature, receiver.Verify(d.Timestamp, "sha256=zz", d.Id, d.Body));
        var old = Delivery(Now - Duration.FromMinutes(6));
        Assert.Equal(WebhookVerdict.Stale, receiver.Verify(old.Timestamp, old.Signature, old.Id, old.Body));
        var future = Delivery(Now + Duration.FromMinutes(6));
        Assert.Equal(WebhookVerdict.Stale, receiver.Verify(future.Timestamp, future.Signature, future.Id, future.Body));
        Assert.Equal(WebhookVerdict.Malformed, receiver.Verify(null, d.Signature, d.Id, d.Body));
        Assert.Equal(WebhookVerdict.Malformed, receiver.Verify("-5", d.Signature, d.Id, d.Body));
        Assert.Equal(WebhookVerdict.Malformed, receiver.Verify(d.Timestamp, d.Signature, "not-an-id", d.Body));
        Assert.Equal(WebhookVerdict.Malformed, receiver.Verify("99999999999999999999", d.Signature, d.Id, d.Body));

        // None of those was remembered: the genuine delivery is still accepted.
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(d.Timestamp, d.Signature, d.Id, d.Body));
    }

    [Fact]
    public void Issue18_the_oldest_ids_are_forgotten_beyond_the_capacity()
    {
        var receiver = new WebhookReceiver(Secret, new FakeClock(Now), capacity: 2);
        var a = Delivery(Now);
        var b = Delivery(Now);
        var c = Delivery(Now);
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(a.Timestamp, a.Signature, a.Id, a.Body));
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(b.Timestamp, b.Signature, b.Id, b.Body));
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(c.Timestamp, c.Signature, c.Id, c.Body));
        Assert.Equal(WebhookVerdict.Duplicate, receiver.Verify(c.Timestamp, c.Signature, c.Id, c.Body));
        Assert.Equal(WebhookVerdict.Accepted, receiver.Verify(a.Timestamp, a.Signature, a.Id, a.Body));
    }
}
