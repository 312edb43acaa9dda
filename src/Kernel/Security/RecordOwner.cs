using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Security;

/// <summary>
/// Who owns a record for visibility: the one place that says whose a deal, client, task, activity, invoice, process,
/// rule instance, call, notification, target or user is. Records with no owner (configuration) are the administrators'.
/// </summary>
internal static class RecordOwner
{
    /// <summary>The owner of a journal stream as it is now; null when the record has none (configuration) or is gone.</summary>
    public static async ValueTask<UserId?> OfStreamAsync(UnitOfWork unit, string streamKind, string id, CancellationToken cancellationToken)
    {
        switch (streamKind)
        {
            case "deal":
                return (await unit.FindAsync(Kinds.Deal, id, cancellationToken).ConfigureAwait(false))?.Owner;
            case "client":
                return (await unit.FindAsync(Kinds.Client, id, cancellationToken).ConfigureAwait(false))?.Owner;
            case "task":
                return (await unit.FindAsync(Kinds.Task, id, cancellationToken).ConfigureAwait(false))?.Assignee;
            case "activity":
                return (await unit.FindAsync(Kinds.Activity, id, cancellationToken).ConfigureAwait(false))?.By;
            case "notification":
                return (await unit.FindAsync(Kinds.Notification, id, cancellationToken).ConfigureAwait(false))?.Recipient;
            case "target":
                return (await unit.FindAsync(Kinds.Target, id, cancellationToken).ConfigureAwait(false))?.Owner;
            case "user":
                return (await unit.FindAsync(Kinds.User, id, cancellationToken).ConfigureAwait(false))?.Id;
            case "team":
                return (await unit.FindAsync(Kinds.Team, id, cancellationToken).ConfigureAwait(false))?.Head;
            case "invoice":
                return await DealOwnerAsync(unit, (await unit.FindAsync(Kinds.Invoice, id, cancellationToken).ConfigureAwait(false))?.Deal, cancellationToken).ConfigureAwait(false);
            case "rule-instance":
                return await DealOwnerAsync(unit, (await unit.FindAsync(Kinds.RuleInstance, id, cancellationToken).ConfigureAwait(false))?.Deal, cancellationToken).ConfigureAwait(false);
            case "process":
                var process = await unit.FindAsync(Kinds.Process, id, cancellationToken).ConfigureAwait(false);
                return process?.Deal is { } deal ? await DealOwnerAsync(unit, deal, cancellationToken).ConfigureAwait(false) : null;
            case "call":
                var call = await unit.FindAsync(Kinds.Call, id, cancellationToken).ConfigureAwait(false);
                if (call?.Client is { } client)
                {
                    return (await unit.FindAsync(Kinds.Client, client.Value, cancellationToken).ConfigureAwait(false))?.Owner;
                }

                return call?.AnsweredBy ?? call?.User;
            default:
                return null;
        }
    }

    /// <summary>
    /// Whether the actor may see a client's card: they see its owner, or a deal on it is theirs to see (a head or an
    /// administrator handed them a deal on a colleague's client: they see exactly that card, not the colleague's others).
    /// </summary>
    public static async ValueTask<bool> CanSeeClientAsync(UnitOfWork unit, SessionActor actor, Client client, CancellationToken cancellationToken)
    {
        if (actor.CanSee(client.Owner))
        {
            return true;
        }

        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Deal.Name, new IndexEntry("client", client.Id.Value), cancellationToken).ConfigureAwait(false))
        {
            if (actor.CanSee(((Deal)Kinds.Deal.Read(document)).Owner))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The client card if it exists and the actor may see it (see <see cref="CanSeeClientAsync"/>); else not found, naming only the id asked for.</summary>
    /// <exception cref="EntityNotFoundException">It does not exist or is not visible: the two are not told apart.</exception>
    public static async ValueTask<Client> VisibleClientAsync(UnitOfWork unit, SessionActor actor, ClientId id, CancellationToken cancellationToken)
    {
        var client = await unit.FindAsync(Kinds.Client, id.Value, cancellationToken).ConfigureAwait(false);
        return client is not null && await CanSeeClientAsync(unit, actor, client, cancellationToken).ConfigureAwait(false)
            ? client
            : throw new EntityNotFoundException("client", id.Value);
    }

    private static async ValueTask<UserId?> DealOwnerAsync(UnitOfWork unit, DealId? deal, CancellationToken cancellationToken) =>
        deal is { } d ? (await unit.FindAsync(Kinds.Deal, d.Value, cancellationToken).ConfigureAwait(false))?.Owner : null;
}
