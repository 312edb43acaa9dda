using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;

namespace Crm.Kernel.Clients;

/// <summary>What to do when a new client's phone or e-mail already belongs to a client card.</summary>
public enum DuplicateHandling
{
    /// <summary>
    /// Fail with <see cref="DuplicateClientException"/> naming the existing client (the default); when the caller may not
    /// see that client, fail with a <see cref="DuplicateKeyException"/> that says only that the contact is taken.
    /// </summary>
    Fail = 0,
    /// <summary>Add the new contacts to the existing client and return it.</summary>
    Merge = 1,
}

/// <summary>What it takes to register a client card.</summary>
/// <param name="Name">The company's or the person's name.</param>
/// <param name="Kind">Company or person.</param>
public sealed record NewClient(string Name, ClientKind Kind = ClientKind.Company)
{
    /// <summary>The id to use; null: a new one.</summary>
    public ClientId? Id { get; init; }
    /// <summary>Contacts; phones in any national or international style (normalized to E.164), e-mails in any case.</summary>
    public IReadOnlyList<ClientContact> Contacts { get; init; } = [];
    /// <summary>Region.</summary>
    public string? Region { get; init; }
    /// <summary>City.</summary>
    public string? City { get; init; }
    /// <summary>Industry.</summary>
    public string? Industry { get; init; }
    /// <summary>The owner; null: the session's user.</summary>
    public UserId? Owner { get; init; }
    /// <summary>When the client registered; null: now. Imports keep the original instant.</summary>
    public NodaTime.Instant? RegisteredAt { get; init; }
}

/// <summary>
/// Client cards as one session sees them (a seller: their own; a head: the team's; an administrator: all), plus the card
/// of each deal the session sees on a colleague's client (shared through that deal; see docs/security.md).
/// </summary>
public sealed class SessionClients
{
    internal const string PhoneScope = "client-phone";
    internal const string EmailScope = "client-email";
    private readonly CrmSession _session;

    internal SessionClients(CrmSession session) => _session = session;

    /// <summary>
    /// Registers a client card. Phones are normalized to E.164 and e-mails to lower case; a phone or e-mail that
    /// already belongs to a client fails with <see cref="DuplicateClientException"/> naming that client, unless
    /// <paramref name="duplicates"/> asks to merge, in which case the new contacts are added to it and it is returned.
    /// </summary>
    /// <exception cref="CrmValidationException">Empty name, a malformed phone or e-mail.</exception>
    /// <exception cref="DuplicateClientException">A phone or e-mail is taken by a visible client and merging was not asked for.</exception>
    /// <exception cref="DuplicateKeyException">A phone or e-mail is taken by a client the caller may not see (merge or not); the message names no client.</exception>
    public async Task<Client> RegisterAsync(NewClient client, DuplicateHandling duplicates = DuplicateHandling.Fail, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var contacts = Normalize(client);
        var owner = client.Owner ?? actor.Id;
        actor.RequireCanActFor(owner, "register a client for another user", $"user '{owner}'");
        if (await unit.FindAsync(Kinds.User, owner.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            throw new CrmValidationException("owner", $"user '{owner}' is not an active user of this tenant.");
        }

        var existing = await FindExistingAsync(unit, contacts, cancellationToken).ConfigureAwait(false);
        if (existing is { } match)
        {
            var other = await unit.GetAsync(Kinds.Client, match.Owner, cancellationToken).ConfigureAwait(false);
            if (!await RecordOwner.CanSeeClientAsync(unit, actor, other, cancellationToken).ConfigureAwait(false))
            {
                // The card is a colleague's: say the contact is taken, never whose it is (neither to fail nor to merge).
                throw HiddenDuplicate(match.Scope, match.Key);
            }

            if (duplicates == DuplicateHandling.Fail)
            {
                throw new DuplicateClientException(other.Id, other.Name, match.Scope == PhoneScope ? "phone" : "e-mail", match.Key);
            }

            actor.RequireCanActFor(other.Owner, "merge into a client they do not own", $"client '{other.Id}'");
            var added = NewContacts(other, contacts);
            if (added.Count > 0)
            {
                TakeKeys(unit, other.Id, added);
                await unit.RecordAsync(new ClientContactsAdded(other.Id, added), Cause.Manual, cancellationToken).ConfigureAwait(false);
            }

            await CommitAsync(unit, actor, cancellationToken).ConfigureAwait(false);
            return unit.Result(Kinds.Client, other.Id.Value);
        }

        var id = client.Id ?? ClientId.New();
        if (await unit.FindAsync(Kinds.Client, id.Value, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new CrmValidationException("id", $"a client with id '{id}' already exists.");
        }

        TakeKeys(unit, id, contacts);
        await unit.RecordAsync(new ClientRegistered(id, client.Kind, client.Name.Trim(), contacts, Clean(client.Region), Clean(client.City),
            Clean(client.Industry), owner, client.RegisteredAt ?? unit.Now), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await CommitAsync(unit, actor, cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Client, id.Value);
    }

    /// <summary>
    /// Gets a client card the session may see: one of the owners it sees, or a colleague's client of a deal it sees (a
    /// deal handed over on a colleague's client shares exactly that card).
    /// </summary>
    /// <exception cref="EntityNotFoundException">It does not exist or is not visible.</exception>
    public async Task<Client> GetAsync(ClientId id, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await RecordOwner.VisibleClientAsync(unit, actor, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finds the visible client with this phone (any format) or null.</summary>
    /// <exception cref="CrmValidationException">The number is malformed.</exception>
    public async Task<Client?> FindByPhoneAsync(string phone, CancellationToken cancellationToken = default)
    {
        var e164 = _session.Parts.Contacts.NormalizePhone(phone);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var owner = await unit.Context.Store.FindUniqueKeyOwnerAsync(unit.Tenant, PhoneScope, e164, cancellationToken).ConfigureAwait(false);
        if (owner is null)
        {
            return null;
        }

        var client = await unit.FindAsync(Kinds.Client, owner, cancellationToken).ConfigureAwait(false);
        return client is not null && await RecordOwner.CanSeeClientAsync(unit, actor, client, cancellationToken).ConfigureAwait(false) ? client : null;
    }

    /// <summary>Lists the visible client cards in id order.</summary>
    public async Task<IReadOnlyList<Client>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Client>();
        var scans = actor.VisibleOwners is { } owners
            ? owners.Select(o => (Crm.Abstractions.Storage.IndexEntry?)new Crm.Abstractions.Storage.IndexEntry("owner", o.Value)).ToArray()
            : [null];
        foreach (var index in scans)
        {
            await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Client.Name, index, cancellationToken).ConfigureAwait(false))
            {
                result.Add((Client)Kinds.Client.Read(document));
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return result;
    }

    /// <summary>Sets an operational classifier on a client card (null clears it).</summary>
    /// <exception cref="CrmValidationException">The name is empty, longer than 100 characters or not one line of valid text; the value is longer than 4,000 characters or not valid text.</exception>
    public async Task<Client> SetClassifierAsync(ClientId id, string name, string? value, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > TextLimits.Key)
        {
            throw new CrmValidationException("name", $"a classifier name of 1 to {TextLimits.Key} characters is required; got '{InputRules.Quote(name)}'.");
        }

        InputRules.RequireText("name", name, TextLimits.Key, required: true, singleLine: true);
        InputRules.RequireText("value", value, TextLimits.Value);

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var client = await unit.GetAsync(Kinds.Client, id.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(client.Owner, "change a client card", $"client '{id}'");
        if (expectedVersion is { } expected && expected != client.Version)
        {
            throw new ConcurrencyConflictException("client", id.Value, expected, client.Version);
        }

        await unit.RecordAsync(new ClientClassifierSet(id, name.Trim(), value), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Client, id.Value);
    }

    private List<ClientContact> Normalize(NewClient client)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(client.Name) || client.Name.Length > TextLimits.Name)
        {
            errors.Add(new("name", $"a client needs a name of 1 to {TextLimits.Name} characters."));
        }
        else
        {
            InputRules.Text(errors, "name", client.Name, TextLimits.Name, required: true, singleLine: true);
        }

        InputRules.Text(errors, "region", client.Region, TextLimits.Attribute, singleLine: true);
        InputRules.Text(errors, "city", client.City, TextLimits.Attribute, singleLine: true);
        InputRules.Text(errors, "industry", client.Industry, TextLimits.Attribute, singleLine: true);
        InputRules.InstantInRange(errors, "registeredAt", client.RegisteredAt);
        if (client.Contacts is { Count: > 100 })
        {
            errors.Add(new("contacts", $"a client has at most 100 contacts; got {client.Contacts.Count}."));
            throw new CrmValidationException(errors);
        }

        var normalizer = _session.Parts.Contacts;
        var contacts = new List<ClientContact>();
        for (var i = 0; i < (client.Contacts?.Count ?? 0); i++)
        {
            var contact = client.Contacts![i];
            if (contact is null)
            {
                errors.Add(new($"contacts[{i}]", "a contact is required (null given)."));
                continue;
            }

            InputRules.Text(errors, $"contacts[{i}].name", contact.Name, TextLimits.Name, singleLine: true);
            string? phone = null, email = null;
            try
            {
                phone = string.IsNullOrWhiteSpace(contact.Phone) ? null : normalizer.NormalizePhone(contact.Phone, $"contacts[{i}].phone");
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(e.Errors);
            }

            try
            {
                email = string.IsNullOrWhiteSpace(contact.Email) ? null : normalizer.NormalizeEmail(contact.Email, $"contacts[{i}].email");
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(e.Errors);
            }

            if (phone is null && email is null && string.IsNullOrWhiteSpace(contact.Name))
            {
                errors.Add(new($"contacts[{i}]", "a contact needs a name, a phone or an e-mail."));
            }

            contacts.Add(new ClientContact(Clean(contact.Name), phone, email));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        return contacts;
    }

    private static async ValueTask<(string Scope, string Key, string Owner)?> FindExistingAsync(UnitOfWork unit, IReadOnlyList<ClientContact> contacts, CancellationToken cancellationToken)
    {
        foreach (var contact in contacts)
        {
            foreach (var (scope, key) in Keys(contact))
            {
                var owner = await unit.Context.Store.FindUniqueKeyOwnerAsync(unit.Tenant, scope, key, cancellationToken).ConfigureAwait(false);
                if (owner is not null)
                {
                    return (scope, key, owner);
                }
            }
        }

        return null;
    }

    private static IEnumerable<(string Scope, string Key)> Keys(ClientContact contact)
    {
        if (contact.Phone is { } phone)
        {
            yield return (PhoneScope, phone);
        }

        if (contact.Email is { } email)
        {
            yield return (EmailScope, email);
        }
    }

    private static void TakeKeys(UnitOfWork unit, ClientId owner, IEnumerable<ClientContact> contacts)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var contact in contacts)
        {
            foreach (var key in Keys(contact))
            {
                if (seen.Add(key))
                {
                    unit.TakeUniqueKey(key.Scope, key.Key, owner.Value);
                }
            }
        }
    }

    private static List<ClientContact> NewContacts(Client existing, IEnumerable<ClientContact> contacts)
    {
        var known = existing.Contacts.SelectMany(Keys).ToHashSet();
        return contacts.Where(c => !Keys(c).Any() || Keys(c).Any(k => !known.Contains(k))).ToList();
    }

    private static async ValueTask CommitAsync(UnitOfWork unit, SessionActor actor, CancellationToken cancellationToken)
    {
        try
        {
            await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuplicateKeyException e) when (e is not DuplicateClientException && e.Scope is PhoneScope or EmailScope)
        {
            // Another command took the key between our check and our commit: report it like the check would have.
            var document = await unit.Context.Store.LoadAsync(unit.Tenant, Kinds.Client.Name, e.ExistingOwnerId, cancellationToken).ConfigureAwait(false);
            var other = document is null ? null : (Client)Kinds.Client.Read(document);
            if (other is null || !actor.CanSee(other.Owner))
            {
                throw HiddenDuplicate(e.Scope, e.Key);
            }

            throw new DuplicateClientException(other.Id, other.Name, e.Scope == PhoneScope ? "phone" : "e-mail", e.Key);
        }
    }

    /// <summary>A contact taken by a card the caller may not see: the message names the contact the caller gave, never the card.</summary>
    private static DuplicateKeyException HiddenDuplicate(string scope, string key)
    {
        var what = scope == PhoneScope ? "phone" : "e-mail";
        return new DuplicateKeyException(what, key, "",
            $"The {what} '{key}' is already taken by a client card of a colleague. Ask your head or an administrator to hand that card to you, or register the client without it.");
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
