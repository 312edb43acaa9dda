using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Notifications;

/// <summary>The session user's in-app inbox: every notification the kernel sent them (reminders, escalations, digests, rule mails).</summary>
public sealed class SessionInbox
{
    private readonly CrmSession _session;

    internal SessionInbox(CrmSession session) => _session = session;

    /// <summary>The user's notifications, newest first.</summary>
    public async Task<IReadOnlyList<Notification>> ListAsync(bool unreadOnly = false, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Notification>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Notification.Name,
            new IndexEntry(unreadOnly ? "unread" : "recipient", actor.Id.Value), cancellationToken).ConfigureAwait(false))
        {
            result.Add((Notification)Kinds.Notification.Read(document));
        }

        result.Sort((a, b) => b.At != a.At ? b.At.CompareTo(a.At) : string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return result;
    }

    /// <summary>Marks one of the user's notifications read.</summary>
    /// <exception cref="EntityNotFoundException">It is not one of the user's.</exception>
    public async Task<Notification> MarkReadAsync(NotificationId notificationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId.Value);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var item = await unit.FindAsync(Kinds.Notification, notificationId.Value, cancellationToken).ConfigureAwait(false);
        if (item is null || item.Recipient != actor.Id)
        {
            throw new EntityNotFoundException("notification", notificationId.Value);
        }

        if (!item.IsRead)
        {
            await unit.RecordAsync(new NotificationRead(notificationId, actor.Id), Cause.Manual, cancellationToken).ConfigureAwait(false);
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return unit.Result(Kinds.Notification, notificationId.Value);
    }
}
