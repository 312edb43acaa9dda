using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

[Collection(SmtpSinkCollection.Name)]
public sealed class KernelDeliveryTests(SmtpSinkFixture sink)
{
    private static readonly Instant Start = Instant.FromUtc(2026, 3, 2, 9, 0);
    private static readonly TenantId Tenant = new("acme");
    private static readonly UserId Admin = new("admin");
    private static readonly UserId Seller = new("s1");

    [Fact]
    public async Task A_task_reminder_is_delivered_by_the_kernel_through_smtp()
    {
        var marker = Guid.NewGuid().ToString("N");
        await using var provider = Kernel(sink.Port);
        var kernel = provider.GetRequiredService<CrmKernel>();
        await RemindAsync(kernel, marker);

        var run = await kernel.Notifications.DeliverAsync(Tenant);

        // The reminder (and the overdue notice, when the task is overdue by then) are mailed; nothing fails.
        Assert.Equal(0, run.Failed);
        Assert.True(run.Delivered >= 1, $"delivered {run.Delivered}");
        // Two mails reach Siri (the reminder and the overdue notice): wait for the reminder itself.
        var dump = await sink.WaitForMessageAsync("Subject: Reminder: Call " + marker);
        Assert.Contains("Subject: Reminder: Call " + marker, dump, StringComparison.Ordinal);
        Assert.Contains($"X-Rcpt-Args: <siri.{marker}@example.com>", dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_smtp_server_leaves_the_mail_recorded_for_retry()
    {
        var marker = Guid.NewGuid().ToString("N");
        await using var provider = Kernel(SmtpSinkFixture.FreePort());
        var kernel = provider.GetRequiredService<CrmKernel>();
        await RemindAsync(kernel, marker);

        var run = await kernel.Notifications.DeliverAsync(Tenant);

        // Every mail failed (the reminder, and the overdue notice when there is one) and none was delivered.
        Assert.Equal(0, run.Delivered);
        Assert.True(run.Failed >= 1, $"failed {run.Failed}");
        var all = await kernel.Notifications.FailedAsync(Tenant);
        Assert.Equal(run.Failed, all.Count);
        Assert.All(all, f => Assert.Equal("mail", f.Channel));
        var failed = Assert.Single(all, f => f.Subject == "Reminder: Call " + marker);
        Assert.Equal(("mail", "Reminder: Call " + marker, false), (failed.Channel, failed.Subject, failed.Delivered));
        Assert.NotNull(failed.NextAttemptAt);
        Assert.NotEmpty(failed.LastError);
    }

    private static ServiceProvider Kernel(int port)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new FakeClock(Start));
        services.AddCrmKernel(crm => crm.UseInMemoryStore().AddMailKit(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = port;
            o.Security = SmtpSecurity.None;
            o.From = "crm@example.com";
            o.Timeout = TimeSpan.FromSeconds(2);
        }));
        return services.BuildServiceProvider();
    }

    private static async Task RemindAsync(CrmKernel kernel, string marker)
    {
        await kernel.InitializeTenantAsync(Tenant, Admin, "Ada Admin");
        await kernel.OpenSession(Tenant, Admin).Organization.RegisterUserAsync(
            new NewUser(Seller, "Siri Seller", CrmRole.Seller) { Email = $"siri.{marker}@example.com" });
        await kernel.OpenSession(Tenant, Seller).Tasks.CreateAsync(new NewWorkTask("Call " + marker, Start + Duration.FromHours(3)));
        await kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(4));
    }
}
