using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Ports;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Telephony;

/// <summary>
/// Takes call events from telephony adapters: recognizes callers by their normalized number, raises the client card for
/// the answering user, turns an unknown caller into a client and a deal in the pipeline's "Unsorted" stage, creates a
/// call-back task for a missed call, and journals every call as an activity with its duration and recording.
/// Events may repeat or arrive late (adapters retry): each is applied once.
/// </summary>
public sealed class TelephonyIntake
{
    private readonly SessionFactory _sessions;

    internal TelephonyIntake(KernelContext context, SessionFactory sessions)
    {
        Context = context;
        _sessions = sessions;
    }

    private KernelContext Context { get; }

    private KernelParts Parts => _sessions.Parts;

    /// <summary>Handles one call event of a tenant.</summary>
    /// <exception cref="CrmValidationException">A malformed number, an empty call id, or an answering extension nobody has; a kind or
    /// direction that is not a defined value, an instant outside 1900–2200, a text that is not valid UTF-16 or too long.</exception>
    public async Task<CallHandling> HandleAsync(TenantId tenant, CallEvent call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (string.IsNullOrWhiteSpace(call.CallId) || call.CallId.Length > 128)
        {
            throw new CrmValidationException("callId", "a call id of 1 to 128 characters is required.");
        }

        var errors = new List<ValidationError>();
        InputRules.Text(errors, "callId", call.CallId, 128, required: true, singleLine: true);
        InputRules.Defined(errors, "kind", call.Kind);
        InputRules.Defined(errors, "direction", call.Direction);
        InputRules.InstantInRange(errors, "at", call.At);
        InputRules.Text(errors, "extension", call.Extension, TextLimits.Key, singleLine: true);
        InputRules.Text(errors, "recordingReference", call.RecordingReference, TextLimits.Value, singleLine: true);
        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var number = Parts.Contacts.NormalizePhone(call.ExternalNumber, "externalNumber");
        var unit = Context.Begin(tenant, null);
        var user = await UserOfExtensionAsync(unit, call.Extension, call.Kind == CallEventKind.Answered, cancellationToken).ConfigureAwait(false);
        var state = await unit.FindAsync(Kinds.Call, call.CallId, cancellationToken).ConfigureAwait(false);
        var recognized = false;
        DealId? createdDeal = null;
        WorkTaskId? callback = null;
        if (state is null)
        {
            var known = await Context.Store.FindUniqueKeyOwnerAsync(tenant, SessionClients.PhoneScope, number, cancellationToken).ConfigureAwait(false);
            state = (PhoneCall)(await unit.RecordAsync(new CallStarted(call.CallId, call.Direction, number, known is null ? null : new ClientId(known), user),
                Cause(), cancellationToken, call.At).ConfigureAwait(false))!;
        }

        switch (call.Kind)
        {
            case CallEventKind.Answered when state.AnsweredBy is null && !state.Ended:
                var answerer = user!.Value;
                var client = state.Client;
                if (client is { } c)
                {
                    recognized = true;
                    await unit.RecordAsync(new CallAnswered(call.CallId, answerer, c), Cause(), cancellationToken, call.At).ConfigureAwait(false);
                    await unit.RecordAsync(new CallerRecognized(call.CallId, c, answerer), Cause(), cancellationToken, call.At).ConfigureAwait(false);
                }
                else
                {
                    (client, createdDeal) = await CreateUnknownCallerAsync(unit, number, answerer, call.At, cancellationToken).ConfigureAwait(false);
                    await unit.RecordAsync(new CallAnswered(call.CallId, answerer, client), Cause(), cancellationToken, call.At).ConfigureAwait(false);
                }

                break;
            case CallEventKind.Ended when !state.Ended:
                var missed = state.AnsweredBy is null;
                var talk = missed || state.AnsweredAt is not { } answeredAt ? Duration.Zero : call.At - answeredAt;
                await unit.RecordAsync(new CallEnded(call.CallId, missed, talk, call.RecordingReference), Cause(), cancellationToken, call.At).ConfigureAwait(false);
                if (state.Client is { } clientId)
                {
                    await unit.RecordAsync(new ActivityLogged(ActivityId.New(), ActivityKind.Call, clientId, await LatestOpenDealAsync(unit, clientId, cancellationToken).ConfigureAwait(false),
                        state.AnsweredBy ?? state.User ?? await FallbackUserAsync(unit, cancellationToken).ConfigureAwait(false),
                        missed ? $"Missed {state.Direction.ToString().ToLowerInvariant()} call" : $"{state.Direction} call", $"Number {number}", talk, call.RecordingReference),
                        Cause(), cancellationToken, call.At).ConfigureAwait(false);
                }

                if (missed && state.Direction == CallDirection.Inbound)
                {
                    var assignee = state.Client is { } known
                        ? (await unit.GetAsync(Kinds.Client, known.Value, cancellationToken).ConfigureAwait(false)).Owner
                        : state.User ?? await FallbackUserAsync(unit, cancellationToken).ConfigureAwait(false);
                    callback = WorkTaskId.New();
                    await unit.RecordAsync(new WorkTaskCreated(callback.Value, $"Call back {number} (missed call)", assignee, call.At + Duration.FromHours(2), null, state.Client),
                        Cause(), cancellationToken, call.At).ConfigureAwait(false);
                }

                break;
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CallHandling(unit.Result(Kinds.Call, call.CallId), recognized, createdDeal, callback);
    }

    /// <summary>
    /// The client card for a user: the client, their open deals and last interactions, as that user may see them. When
    /// the client is not the user's to see but the user answered (or was rung by) a call from that client, the pop-up
    /// still shows who is calling: the caller's name, contacts and owner (no deals, no history, no other fields), and the
    /// journal records that the user saw it (<see cref="Security.CallerCardShown"/>).
    /// </summary>
    /// <exception cref="EntityNotFoundException">The client does not exist, or the user neither sees it nor took a call from it.</exception>
    public async Task<ClientCard> GetClientCardAsync(TenantId tenant, ClientId client, UserId user, CancellationToken cancellationToken = default)
    {
        var session = _sessions.Open(tenant, user);
        Client card;
        try
        {
            card = await session.Clients.GetAsync(client, cancellationToken).ConfigureAwait(false);
        }
        catch (EntityNotFoundException)
        {
            return await CallerCardAsync(tenant, client, user, cancellationToken).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("client", client.Value);
        }

        var deals = await session.Deals.ListAsync(new DealQuery { Client = client, Status = DealStatus.Open }, cancellationToken).ConfigureAwait(false);
        var activities = await session.Activities.ListForClientAsync(client, cancellationToken).ConfigureAwait(false);
        return new ClientCard(card, deals, activities.Take(10).ToArray());
    }

    /// <summary>The caller's card (name, contacts, owner) for a user who took a call from a client they do not see, journaled; null when they took none.</summary>
    private async ValueTask<ClientCard?> CallerCardAsync(TenantId tenant, ClientId client, UserId user, CancellationToken cancellationToken)
    {
        var unit = Context.Begin(tenant, user);
        if (await unit.FindAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            return null;
        }

        PhoneCall? taken = null;
        await foreach (var document in Context.Store.QueryAsync(tenant, Kinds.Call.Name, new IndexEntry("client", client.Value), cancellationToken).ConfigureAwait(false))
        {
            var call = (PhoneCall)Kinds.Call.Read(document);
            if (call.Direction == CallDirection.Inbound && (call.AnsweredBy == user || call.AnsweredBy is null && call.User == user)
                && (taken is null || call.StartedAt > taken.StartedAt))
            {
                taken = call;
            }
        }

        if (taken is null || await unit.FindAsync(Kinds.Client, client.Value, cancellationToken).ConfigureAwait(false) is not { } full)
        {
            return null;
        }

        await unit.RecordAsync(new Security.CallerCardShown(taken.Id, client, user), Cause(), cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        var shown = new Client { Id = full.Id, Kind = full.Kind, Name = full.Name, Contacts = full.Contacts, Owner = full.Owner, RegisteredAt = full.RegisteredAt };
        return new ClientCard(shown, [], []);
    }

    private static Cause Cause() => new(CauseKind.Integration, "telephony");

    private async ValueTask<(ClientId Client, DealId Deal)> CreateUnknownCallerAsync(UnitOfWork unit, string number, UserId answerer, Instant at, CancellationToken cancellationToken)
    {
        var (pipeline, unsorted) = await Pipelines.UnsortedInbox.FindAsync(unit, "unknown callers", cancellationToken).ConfigureAwait(false);
        var owner = pipeline.UnknownCallerOwner == UnknownCallerOwner.StageManager && unsorted.Manager is { } manager ? manager : answerer;
        var client = ClientId.New();
        unit.TakeUniqueKey(SessionClients.PhoneScope, number, client.Value);
        await unit.RecordAsync(new ClientRegistered(client, ClientKind.Person, "Caller " + number, [new ClientContact(null, number, null)], null, null, null, owner, at),
            Cause(), cancellationToken, at).ConfigureAwait(false);
        var deal = DealId.New();
        await unit.RecordAsync(new DealOpened(deal, client, pipeline.Id, unsorted.Id, owner, Money.Zero(Parts.Options.DefaultCurrency), "Call from " + number, "call", null, null,
            new Dictionary<string, string>()), Cause(), cancellationToken, at).ConfigureAwait(false);
        return (client, deal);
    }

    private static async ValueTask<DealId?> LatestOpenDealAsync(UnitOfWork unit, ClientId client, CancellationToken cancellationToken)
    {
        Deal? latest = null;
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Deal.Name, new IndexEntry("client", client.Value), cancellationToken).ConfigureAwait(false))
        {
            var deal = (Deal)Kinds.Deal.Read(document);
            if (deal.Status == DealStatus.Open && (latest is null || deal.OpenedAt > latest.OpenedAt))
            {
                latest = deal;
            }
        }

        // A deal created in this very unit (unknown caller) is not in the store yet.
        return latest?.Id;
    }

    private static async ValueTask<UserId?> UserOfExtensionAsync(UnitOfWork unit, string? extension, bool required, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(extension))
        {
            return required ? throw new CrmValidationException("extension", "an answered call needs the extension or user that answered.") : null;
        }

        var owner = await unit.Context.Store.FindUniqueKeyOwnerAsync(unit.Tenant, "user-extension", extension.Trim(), cancellationToken).ConfigureAwait(false);
        if (owner is not null)
        {
            return new UserId(owner);
        }

        if (await unit.FindAsync(Kinds.User, extension.Trim(), cancellationToken).ConfigureAwait(false) is { IsActive: true } user)
        {
            return user.Id;
        }

        return required ? throw new CrmValidationException("extension", $"extension '{extension}' belongs to no active user; register it with the user (NewUser.Extension).") : null;
    }

    private static ValueTask<UserId> FallbackUserAsync(UnitOfWork unit, CancellationToken cancellationToken) =>
        Pipelines.UnsortedInbox.AdministratorAsync(unit, "the missed call", cancellationToken);

}
