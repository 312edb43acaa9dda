using MimeKit;

namespace Crm.Mail.MailKit;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain SMTP, no TLS (a local relay or a test server).</summary>
    None = 0,
    /// <summary>Connect in plain text, then upgrade with STARTTLS; fails when the server does not offer it (the default).</summary>
    StartTls = 1,
    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    SslOnConnect = 2,
}

/// <summary>Options of <see cref="MailKitMailSender"/>.</summary>
public sealed class MailKitOptions
{
    /// <summary>The SMTP server's host name or address. Required.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The SMTP server's port.</summary>
    /// <value>Default 587 (submission); from 1 to 65535.</value>
    public int Port { get; set; } = 587;

    /// <summary>How the connection is secured.</summary>
    /// <value>Default <see cref="SmtpSecurity.StartTls"/>.</value>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>The user name to authenticate with; <see langword="null"/> (the default) sends without authenticating.</summary>
    public string? UserName { get; set; }

    /// <summary>The password; required when <see cref="UserName"/> is set.</summary>
    public string? Password { get; set; }

    /// <summary>The sender address, e.g. <c>crm@example.com</c> or <c>"Sales CRM &lt;crm@example.com&gt;"</c>. Required.</summary>
    public string From { get; set; } = string.Empty;

    /// <summary>How long connecting and each SMTP command may take before the send fails (and the kernel retries later).</summary>
    /// <value>Default 30 seconds; from 1 millisecond to 10 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is missing or out of range; the message names the option.</summary>
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

        if (!Enum.IsDefined(Security))
        {
            throw new ArgumentException($"MailKitOptions.Security has no value {(int)Security}.", nameof(Security));
        }

        if (string.IsNullOrWhiteSpace(From))
        {
            throw new ArgumentException("MailKitOptions.From is required, e.g. \"crm@example.com\".", nameof(From));
        }

        if (!MailboxAddress.TryParse(From, out _))
        {
            throw new ArgumentException($"MailKitOptions.From is not a valid address: \"{From}\".", nameof(From));
        }

        if (UserName is not null && string.IsNullOrWhiteSpace(UserName))
        {
            throw new ArgumentException("MailKitOptions.UserName must not be blank; leave it null to send without authenticating.", nameof(UserName));
        }

        if (UserName is not null && Password is null)
        {
            throw new ArgumentException("MailKitOptions.Password is required when MailKitOptions.UserName is set.", nameof(Password));
        }

        if (UserName is null && Password is not null)
        {
            throw new ArgumentException("MailKitOptions.UserName is required when MailKitOptions.Password is set.", nameof(UserName));
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"MailKitOptions.Timeout must be more than zero and at most 10 minutes; got {Timeout}.", nameof(Timeout));
        }
    }

    internal MailKitOptions Clone() => (MailKitOptions)MemberwiseClone();
}
