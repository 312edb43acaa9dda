namespace Crm.Abstractions.Ports;

/// <summary>An e-mail to send.</summary>
/// <param name="To">The recipient address.</param>
/// <param name="Subject">The subject line.</param>
/// <param name="Body">The plain-text body.</param>
public sealed record MailMessage(string To, string Subject, string Body);

/// <summary>The mail port: sends e-mail (e.g. over SMTP). Adapters are plug-ins.</summary>
public interface IMailSender
{
    /// <summary>Sends one message.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    Task SendAsync(MailMessage message, CancellationToken cancellationToken = default);
}

/// <summary>A notification for a user, delivered through every registered channel.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Recipient">The user it is for.</param>
/// <param name="Subject">The subject.</param>
/// <param name="Body">The body.</param>
/// <param name="Deal">The deal it is about, when there is one.</param>
public sealed record Notification(TenantId Tenant, UserId Recipient, string Subject, string Body, DealId? Deal);

/// <summary>A notification channel port (mail, in-app inbox, messenger).</summary>
public interface INotificationChannel
{
    /// <summary>The channel's name, e.g. <c>mail</c>.</summary>
    string Name { get; }

    /// <summary>Delivers one notification; throws when delivery failed so the kernel can retry.</summary>
    Task DeliverAsync(Notification notification, CancellationToken cancellationToken = default);
}
