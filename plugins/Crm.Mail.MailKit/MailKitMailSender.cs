using Crm.Abstractions.Ports;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Crm.Mail.MailKit;

/// <summary>
/// Sends the kernel's mail over SMTP with MailKit. Each <see cref="SendAsync"/> connects, authenticates when
/// credentials are configured, sends and disconnects: notifications are few and bursty, so a fresh connection costs
/// little and never meets a connection the server closed while idle. Failures throw; the kernel's notification
/// delivery retries them with backoff. Thread-safe: concurrent sends use separate connections.
/// </summary>
public sealed class MailKitMailSender : IMailSender
{
    private readonly MailKitOptions _options;
    private readonly MailboxAddress _from;

    /// <summary>Creates a sender with validated options (copied; later changes to <paramref name="options"/> have no effect).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public MailKitMailSender(MailKitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _from = MailboxAddress.Parse(_options.From);
    }

    /// <summary>Sends one plain-text message to <see cref="MailMessage.To"/> from <see cref="MailKitOptions.From"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">The recipient address cannot be parsed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="TimeoutException">Connecting or an SMTP command took longer than <see cref="MailKitOptions.Timeout"/>.</exception>
    /// <exception cref="IOException">The server could not be reached or the connection broke.</exception>
    /// <exception cref="SmtpCommandException">The server refused the message, the sender or the recipient.</exception>
    /// <exception cref="AuthenticationException">The credentials were refused.</exception>
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MailboxAddress.TryParse(message.To, out var to))
        {
            throw new ArgumentException($"The recipient address is not valid: \"{message.To}\".", nameof(message));
        }

        using var mime = new MimeMessage();
        mime.From.Add(_from);
        mime.To.Add(to);
        mime.Subject = message.Subject;
        mime.Body = new TextPart("plain") { Text = message.Body };

        // MailKit's Timeout bounds each read/write; the linked token also bounds connecting, which it does not cover.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, _options.Timeout.TotalMilliseconds) };
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, ToSocketOptions(_options.Security), timeout.Token).ConfigureAwait(false);
            if (_options.UserName is not null)
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? string.Empty, timeout.Token).ConfigureAwait(false);
            }

            await client.SendAsync(mime, timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Sending mail through {_options.Host}:{_options.Port} took longer than MailKitOptions.Timeout ({_options.Timeout}).");
        }
    }

    private static SecureSocketOptions ToSocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(security), security, "Unknown SmtpSecurity."),
    };
}
