using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

public sealed class MailKitTests(SmtpSinkFixture sink) : IClassFixture<SmtpSinkFixture>
{
    private MailKitOptions Options(int? port = null) => new()
    {
        Host = "127.0.0.1",
        Port = port ?? sink.Port,
        Security = SecureSocketOptions.None,
        From = "crm@example.com",
        Timeout = TimeSpan.FromSeconds(3),
    };

    [Fact]
    public async Task A_message_reaches_a_real_smtp_server()
    {
        var sender = new MailKitMailSender(Options());
        var marker = Guid.NewGuid().ToString("N");

        await sender.SendAsync(new MailMessage("kari@example.com", "Reminder " + marker, "Send the offer today."));

        var dumped = await sink.WaitForMessageAsync(marker);
        Assert.Contains("<kari@example.com>", dumped);
        Assert.Contains("Subject: Reminder " + marker, dumped);
        Assert.Contains("Send the offer today.", dumped);
    }

    [Fact]
    public async Task A_server_that_is_down_makes_the_send_fail_so_the_kernel_retries()
    {
        var sender = new MailKitMailSender(Options(SmtpSinkFixture.FreePort()));
        await Assert.ThrowsAnyAsync<Exception>(() => sender.SendAsync(new MailMessage("kari@example.com", "x", "y")));
    }

    [Theory]
    [InlineData("", 25, "crm@example.com", "Host")]
    [InlineData("smtp.example.com", 0, "crm@example.com", "Port")]
    [InlineData("smtp.example.com", 25, "not an address", "From")]
    public void Bad_options_name_the_option(string host, int port, string from, string option)
    {
        var error = Assert.Throws<ArgumentException>(() => new MailKitMailSender(new MailKitOptions { Host = host, Port = port, From = from }));
        Assert.Contains(option, error.Message);
    }

    [Fact]
    public async Task A_task_reminder_is_mailed_through_MailKit_end_to_end()
    {
        var clock = new FakeClock(Instant.FromUtc(2026, 3, 2, 9, 0));
        await using var provider = new ServiceCollection()
            .AddSingleton<IClock>(clock)
            .AddCrmKernel(crm => crm.UseInMemoryStore().AddMailKit(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = sink.Port;
                o.Security = SecureSocketOptions.None;
                o.From = "crm@example.com";
            }))
            .Services.BuildServiceProvider();
        var kernel = provider.GetRequiredService<CrmKernel>();
        var tenant = new TenantId("mail");
        await kernel.InitializeTenantAsync(tenant, new UserId("admin"), "Admin");
        var marker = Guid.NewGuid().ToString("N")[..8];
        await kernel.OpenSession(tenant, new UserId("admin")).Organization.RegisterUserAsync(new NewUser(new UserId("kari"), "Kari") { Email = "kari@example.com" });
        await kernel.OpenSession(tenant, new UserId("kari")).Tasks.CreateAsync(new NewWorkTask("Call " + marker, clock.GetCurrentInstant() + Duration.FromHours(3)));

        await kernel.Scheduler.RunDueAsync(clock.GetCurrentInstant() + Duration.FromHours(2) + Duration.FromMinutes(30));
        var run = await kernel.Notifications.DeliverAsync(tenant);

        Assert.Equal(1, run.Delivered);
        var dumped = await sink.WaitForMessageAsync("Reminder: Call " + marker);
        Assert.Contains("<kari@example.com>", dumped);
    }
}
