using Crm.Abstractions.Ports;
using Crm.Kernel.Tasks;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Notifications;

public sealed class DeliveryTests
{
    private sealed class RecordingMail : IMailSender
    {
        public List<MailMessage> Sent { get; } = new();

        public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
        {
            lock (Sent)
            {
                Sent.Add(message);
            }

            return Task.CompletedTask;
        }
    }

    private sealed class FlakyChannel : INotificationChannel
    {
        public bool Down { get; set; } = true;

        public List<Notification> Delivered { get; } = new();

        public string Name => "messenger";

        public Task DeliverAsync(Notification notification, CancellationToken cancellationToken = default)
        {
            if (Down)
            {
                throw new IOException("messenger gateway unreachable");
            }

            Delivered.Add(notification);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Notifications_are_mailed_to_users_with_an_address_and_land_in_the_inbox()
    {
        var mail = new RecordingMail();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<IMailSender>(mail));
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));
        await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(4));

        var run = await k.Kernel.Notifications.DeliverAsync(k.Tenant);
        var again = await k.Kernel.Notifications.DeliverAsync(k.Tenant);

        // The reminder to Siri and the overdue escalation to her head both land in the inboxes;
        // only Siri has an e-mail address, so one mail goes out, once: the cursor is durable.
        Assert.Equal(1, run.Delivered);
        Assert.Equal(0, again.Delivered);
        var only = Assert.Single(mail.Sent);
        Assert.Equal(("siri@example.com", "Reminder: Call"), (only.To, only.Subject));
        Assert.Equal("Reminder: Call", Assert.Single(await k.Session(Seller1).Inbox.ListAsync(unreadOnly: true)).Subject);
        var escalation = Assert.Single(await k.Session(Head1).Inbox.ListAsync());
        Assert.Equal("Overdue: Call", escalation.Subject);
        Assert.True((await k.Session(Head1).Inbox.MarkReadAsync(escalation.Id)).IsRead);
        Assert.Empty(await k.Session(Head1).Inbox.ListAsync(unreadOnly: true));
        await Assert.ThrowsAsync<Crm.Abstractions.EntityNotFoundException>(() => k.Session(Seller1).Inbox.MarkReadAsync(escalation.Id));
    }

    [Fact]
    public async Task Failed_deliveries_are_retried_with_backoff_and_listed_until_delivered()
    {
        var channel = new FlakyChannel();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<INotificationChannel>(channel));
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));
        k.Clock.Advance(Duration.FromHours(2) + Duration.FromMinutes(30));
        await k.Kernel.Scheduler.RunDueAsync(k.Clock.GetCurrentInstant());   // the reminder

        var first = await k.Kernel.Notifications.DeliverAsync(k.Tenant);
        Assert.Equal((0, 1), (first.Delivered, first.Failed));
        var failed = Assert.Single(await k.Kernel.Notifications.FailedAsync(k.Tenant));
        Assert.Contains("messenger gateway unreachable", failed.LastError);
        Assert.Equal(k.Clock.GetCurrentInstant() + Duration.FromMinutes(1), failed.NextAttemptAt);

        k.Clock.Advance(Duration.FromMinutes(1));
        await k.Kernel.Notifications.DeliverAsync(k.Tenant);                 // second attempt fails: the wait doubles
        failed = Assert.Single(await k.Kernel.Notifications.FailedAsync(k.Tenant));
        Assert.Equal((2, k.Clock.GetCurrentInstant() + Duration.FromMinutes(2)), (failed.Attempts, failed.NextAttemptAt));

        channel.Down = false;
        k.Clock.Advance(Duration.FromMinutes(1));
        Assert.Equal(0, (await k.Kernel.Notifications.DeliverAsync(k.Tenant)).Delivered);   // not due yet
        k.Clock.Advance(Duration.FromMinutes(1));
        Assert.Equal(1, (await k.Kernel.Notifications.DeliverAsync(k.Tenant)).Delivered);
        Assert.Empty(await k.Kernel.Notifications.FailedAsync(k.Tenant));
        Assert.Equal("Reminder: Call", Assert.Single(channel.Delivered).Subject);
        Assert.True((await k.Kernel.VerifyJournalAsync(k.Tenant)).IsConsistent);
    }

    [Fact]
    public async Task Retries_stop_after_the_limit_and_the_delivery_stays_listed()
    {
        var channel = new FlakyChannel();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<INotificationChannel>(channel)
            .Configure<Crm.Kernel.Hosting.CrmKernelOptions>(o => o.NotificationRetry.MaxAttempts = 3));
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));
        await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(2) + Duration.FromMinutes(30));
        for (var i = 0; i < 6; i++)
        {
            await k.Kernel.Notifications.DeliverAsync(k.Tenant);
            k.Clock.Advance(Duration.FromHours(1));
        }

        var failed = Assert.Single(await k.Kernel.Notifications.FailedAsync(k.Tenant));
        Assert.Equal(3, failed.Attempts);
        Assert.Null(failed.NextAttemptAt);
        Assert.Contains(k.Tenant, await k.Kernel.ListTenantsAsync());
    }
}
