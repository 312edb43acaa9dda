using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Ports;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Telephony;

/// <summary>Click-to-call for the session's user, through the telephony port.</summary>
public sealed class SessionTelephony
{
    private readonly CrmSession _session;
    private readonly ITelephonyGateway? _gateway;

    internal SessionTelephony(CrmSession session, ITelephonyGateway? gateway)
    {
        _session = session;
        _gateway = gateway;
    }

    /// <summary>Calls a visible client (their first phone, or the given one) and journals the outgoing call.</summary>
    /// <exception cref="InvalidStateException">No telephony adapter is registered, or the client has no phone.</exception>
    public async Task<PhoneCall> DialAsync(ClientId client, string? phone = null, CancellationToken cancellationToken = default)
    {
        var gateway = _gateway ?? throw new InvalidStateException("No telephony adapter is registered (ITelephonyGateway); add a telephony plug-in.");
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var card = await unit.GetAsync(Kinds.Client, client.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(card.Owner, "call a client", $"client '{client}'");
        var number = phone is null
            ? card.Contacts.Select(c => c.Phone).FirstOrDefault(p => p is not null) ?? throw new InvalidStateException($"Client '{card.Name}' has no phone number.")
            : _session.Parts.Contacts.NormalizePhone(phone);
        var callId = await gateway.DialAsync(actor.Id, number, cancellationToken).ConfigureAwait(false);
        await unit.RecordAsync(new CallStarted(callId, CallDirection.Outbound, number, client, actor.Id), new Cause(CauseKind.Manual), cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Call, callId);
    }
}
