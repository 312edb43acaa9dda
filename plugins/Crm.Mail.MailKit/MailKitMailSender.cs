using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MimeKit;

namespace Crm.Mail.MailKit;

/// <summary>Options of <see cref="MailKitMailSender"/>.</summary>
public sealed class MailKitOptions
{
    /// <summary>The SMTP server's host name. Required.</summary>
    public string Host { get; set; } = "";

    /// <summary>The SMTP port.</summary>
    /// <value>Default 587.</value>
    public int Port { get; set; } = 587;

    /// <summary>How to secure the connection.</summary>
    /// <value>Default <see cref="SecureSocketOptions.StartTlsWhenAvailable"/>.</value>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTlsWhenAvailable;

    /// <summary>The user name, when the server needs authentication.</summary>
    public string? UserName { get; set; }

    /// <summary>The password, with <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>The sender address. Required.</summary>
    public string From { get; set; } = "";

    /// <summary>The sender name shown to recipients.</summary>
    /// <value>Default "CRM".</value>
    public string FromName { get; set; } = "CRM";

    /// <summary>How long connecting and sending may take before the send fails (and the kernel retries later).</summary>
    /// <value>Default 30 seconds; from 1 to 300.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is invalid; the message names it.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("MailKitOptions.Host is required, e.g. \"smtp.example.com\".", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"MailKitOptions.Port must be from 1 to 65535; got {Port}.", nameof(Port));
        }

        if (!MailboxAddress.TryParse(From, out _) || !From.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException($"MailKitOptions.From must be an e-mail address; got '{From}'.", nameof(From));
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException($"MailKitOptions.Timeout must be from 1 second to 5 minutes; got {Timeout}.", nameof(Timeout));
        }

        if (UserName is not null && Password is null)
        {
            throw new ArgumentException("MailKitOptions.Password is required with UserName.", nameof(Password));
        }
    }
}

/// <summary>
/// Sends mail over SMTP with MailKit. Each send opens a connection, authenticates when configured, sends and
/// disconnects: notifications are rare enough that a pooled connection is not worth its failure modes. A failure
/// throws, so the kernel's notification delivery retries it with backoff and lists it while it fails. Thread-safe.
/// </summary>
public sealed class MailKitMailSender : IMailSender
{
    private readonly MailKitOptions _options;

    /// <summary>Creates the sender.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public MailKitMailSender(MailKitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(_options.FromName, _options.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.Body = new TextPart("plain") { Text = message.Body };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var client = new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, _options.Security, timeout.Token).ConfigureAwait(false);
            if (_options.UserName is not null)
            {
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", timeout.Token).ConfigureAwait(false);
            }

            await client.SendAsync(mime, timeout.Token).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Sending mail through {_options.Host}:{_options.Port} took longer than {_options.Timeout}.");
        }
    }
}

/// <summary>Registers the MailKit mail sender.</summary>
public static class MailKitExtensions
{
    /// <summary>Sends the kernel's mail over SMTP with MailKit. The last call wins; calling it twice registers once.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static TBuilder AddMailKit<TBuilder>(this TBuilder builder, Action<MailKitOptions> configure)
        where TBuilder : ICrmKernelBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new MailKitOptions();
        configure(options);
        options.Validate();
        builder.Services.RemoveAll<IMailSender>();
        builder.Services.AddSingleton<IMailSender>(new MailKitMailSender(options));
        return builder;
    }
}
