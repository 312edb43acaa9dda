using System.Diagnostics;
using Crm.Abstractions.Ports;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

[Collection(SmtpSinkCollection.Name)]
public sealed class MailKitMailSenderTests(SmtpSinkFixture sink)
{
    private MailKitOptions SinkOptions() => new()
    {
        Host = "127.0.0.1",
        Port = sink.Port,
        Security = SmtpSecurity.None,
        From = "CRM <crm@example.com>",
        Timeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task A_sent_message_arrives_with_recipient_subject_and_body()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = new MailKitMailSender(SinkOptions());

        await sender.SendAsync(new MailMessage("siri@example.com", "Reminder " + marker, "Call the customer back. " + marker));

        var dump = await sink.WaitForMessageAsync("Reminder " + marker);
        Assert.Contains("X-Rcpt-Args: <siri@example.com>", dump, StringComparison.Ordinal);
        Assert.Contains("X-Mail-Args: <crm@example.com>", dump, StringComparison.Ordinal);
        Assert.Contains("To: siri@example.com", dump, StringComparison.Ordinal);
        Assert.Contains("Subject: Reminder " + marker, dump, StringComparison.Ordinal);
        Assert.Contains("Call the customer back. " + marker, dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_sends_all_arrive()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sender = new MailKitMailSender(SinkOptions());

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => sender.SendAsync(new MailMessage($"u{i}@example.com", $"Batch {marker} {i}", "Hello"))));

        for (var i = 0; i < 5; i++)
        {
            await sink.WaitForMessageAsync($"Batch {marker} {i}");
        }
    }

    [Fact]
    public async Task A_send_to_a_port_where_nothing_listens_throws_quickly_so_the_kernel_retries()
    {
        var options = SinkOptions();
        options.Port = SmtpSinkFixture.FreePort();
        options.Timeout = TimeSpan.FromSeconds(2);
        var sender = new MailKitMailSender(options);
        var watch = Stopwatch.StartNew();

        var error = await Record.ExceptionAsync(() => sender.SendAsync(new MailMessage("siri@example.com", "Lost", "Nobody listens")));

        Assert.NotNull(error);
        Assert.IsNotAssignableFrom<OperationCanceledException>(error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_times_out()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var options = SinkOptions();
        options.Port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        options.Timeout = TimeSpan.FromMilliseconds(500);
        var sender = new MailKitMailSender(options);
        var watch = Stopwatch.StartNew();

        var error = await Record.ExceptionAsync(() => sender.SendAsync(new MailMessage("siri@example.com", "Lost", "Silence")));

        Assert.NotNull(error);
        Assert.IsNotAssignableFrom<OperationCanceledException>(error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_send()
    {
        var sender = new MailKitMailSender(SinkOptions());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(new MailMessage("siri@example.com", "No", "No"), cancelled.Token));
    }

    [Fact]
    public async Task A_bad_recipient_address_is_refused_before_connecting()
    {
        var sender = new MailKitMailSender(SinkOptions());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => sender.SendAsync(new MailMessage("not an address", "S", "B")));
        Assert.Contains("recipient", error.Message, StringComparison.Ordinal);
    }
}
