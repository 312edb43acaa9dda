using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using NodaTime;

namespace Crm.Kernel.Organization;

/// <summary>What it takes to register a user.</summary>
/// <param name="Id">The user's id.</param>
/// <param name="Name">The name.</param>
/// <param name="Role">Seller, head or administrator.</param>
public sealed record NewUser(UserId Id, string Name, CrmRole Role = CrmRole.Seller)
{
    /// <summary>The user's team.</summary>
    public TeamId? Team { get; init; }
    /// <summary>E-mail for notifications.</summary>
    public string? Email { get; init; }
    /// <summary>IANA time zone id; null: the tenant's.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The telephone extension that rings this user (unique in the tenant).</summary>
    public string? Extension { get; init; }
}

/// <summary>Users and teams. Administrators change them; everyone may read them.</summary>
public sealed class SessionOrganization
{
    private readonly CrmSession _session;

    internal SessionOrganization(CrmSession session) => _session = session;

    /// <summary>Registers a user (administrators only).</summary>
    /// <exception cref="CrmValidationException">Empty name, unknown time zone, malformed e-mail, or the id is taken.</exception>
    public async Task<CrmUser> RegisterUserAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var textErrors = new List<ValidationError>();
        Validation.InputRules.Text(textErrors, "name", user.Name, 200, singleLine: true);
        Validation.InputRules.Text(textErrors, "timeZone", user.TimeZone, Validation.TextLimits.Key, singleLine: true);
        Validation.InputRules.Text(textErrors, "extension", user.Extension, 32, singleLine: true);
        if (textErrors.Count > 0)
        {
            throw new CrmValidationException(textErrors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("register users");
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(user.Name) || user.Name.Length > 200)
        {
            errors.Add(new("name", "a user needs a name of 1 to 200 characters."));
        }

        if (user.TimeZone is { } zone && DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is null)
        {
            errors.Add(new("timeZone", $"'{zone}' is not an IANA time zone id such as 'Europe/Oslo'."));
        }

        string? email = null;
        if (!string.IsNullOrWhiteSpace(user.Email))
        {
            try
            {
                email = _session.Parts.Contacts.NormalizeEmail(user.Email);
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(e.Errors);
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        if (await unit.FindAsync(Kinds.User, user.Id.Value, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new CrmValidationException("id", $"user '{user.Id}' already exists.");
        }

        if (user.Team is { } team)
        {
            await unit.GetAsync(Kinds.Team, team.Value, cancellationToken).ConfigureAwait(false);
        }

        if (user.Extension is { } extension)
        {
            if (string.IsNullOrWhiteSpace(extension) || extension.Length > 32)
            {
                throw new CrmValidationException("extension", "an extension is 1 to 32 characters.");
            }

            unit.TakeUniqueKey("user-extension", extension.Trim(), user.Id.Value);
        }

        await unit.RecordAsync(new UserRegistered(user.Id, user.Name.Trim(), user.Role, user.Team, email, user.TimeZone, user.Extension?.Trim()), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.User, user.Id.Value);
    }

    /// <summary>Defines (or redefines) a team and its head (administrators only). The head must be an active head.</summary>
    public async Task<Team> DefineTeamAsync(TeamId id, string name, UserId head, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new CrmValidationException("name", "a team needs a name of 1 to 200 characters.");
        }

        Validation.InputRules.RequireText("name", name, 200, required: true, singleLine: true);

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define teams");
        var headUser = await unit.FindAsync(Kinds.User, head.Value, cancellationToken).ConfigureAwait(false);
        if (headUser is not { IsActive: true, Role: CrmRole.Head })
        {
            throw new CrmValidationException("head", $"user '{head}' must be an active user with the Head role.");
        }

        await unit.RecordAsync(new TeamDefined(id, name.Trim(), head), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Team, id.Value);
    }

    /// <summary>
    /// Deactivates a user who leaves and, in the same journaled command, hands all their client cards, open deals and
    /// open tasks to <paramref name="successor"/>, so nothing stays orphaned (administrators only).
    /// </summary>
    /// <exception cref="CrmValidationException">The successor is the user, or not active.</exception>
    /// <exception cref="InvalidStateException">The user heads a team: give the team a new head first.</exception>
    public async Task<CrmUser> DeactivateUserAsync(UserId user, UserId successor, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("deactivate users");
        if (user == successor)
        {
            throw new CrmValidationException("successor", "the successor must be another user.");
        }

        var leaving = await unit.GetAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false);
        if (!leaving.IsActive)
        {
            throw new InvalidStateException($"User '{user}' is already deactivated.");
        }

        if (await unit.FindAsync(Kinds.User, successor.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            throw new CrmValidationException("successor", $"user '{successor}' is not an active user of this tenant.");
        }

        var store = unit.Context.Store;
        await foreach (var team in store.QueryAsync(unit.Tenant, Kinds.Team.Name, new IndexEntry("head", user.Value), cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidStateException($"User '{user}' heads team '{team.Id}'; give the team a new head first.");
        }

        var cause = Cause.System($"{user} left; handed over to {successor}");
        foreach (var id in await IdsAsync(store, unit.Tenant, Kinds.Client.Name, new IndexEntry("owner", user.Value), cancellationToken).ConfigureAwait(false))
        {
            await unit.GetAsync(Kinds.Client, id, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new ClientOwnerChanged(new ClientId(id), user, successor), cause, cancellationToken).ConfigureAwait(false);
        }

        foreach (var id in await IdsAsync(store, unit.Tenant, Kinds.Deal.Name, new IndexEntry("owner-open", user.Value), cancellationToken).ConfigureAwait(false))
        {
            var deal = await unit.GetAsync(Kinds.Deal, id, cancellationToken).ConfigureAwait(false);
            if (deal.Status == DealStatus.Open)
            {
                await unit.RecordAsync(new DealOwnerChanged(deal.Id, user, successor), cause, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var id in await IdsAsync(store, unit.Tenant, Kinds.Task.Name, new IndexEntry("assignee-open", user.Value), cancellationToken).ConfigureAwait(false))
        {
            var task = await unit.GetAsync(Kinds.Task, id, cancellationToken).ConfigureAwait(false);
            if (task.Status == WorkTaskStatus.Open)
            {
                await unit.RecordAsync(new WorkTaskReassigned(task.Id, user, successor), cause, cancellationToken).ConfigureAwait(false);
            }
        }

        await unit.RecordAsync(new UserDeactivated(user, successor), cause, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.User, user.Value);
    }

    /// <summary>Gets a user.</summary>
    public async Task<CrmUser> GetUserAsync(UserId id, CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await unit.GetAsync(Kinds.User, id.Value, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists all users in id order.</summary>
    public async Task<IReadOnlyList<CrmUser>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var users = new List<CrmUser>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.User.Name, null, cancellationToken).ConfigureAwait(false))
        {
            users.Add((CrmUser)Kinds.User.Read(document));
        }

        return users;
    }

    /// <summary>
    /// Defines (or redefines) a permission set of the tenant: a named list of rights that replaces the role's defaults
    /// for the users given it (administrators only; journaled). Redefining changes the rights of its users at once.
    /// </summary>
    /// <example><code>
    /// await admin.Organization.DefinePermissionSetAsync("auditor", "Read-only auditor", [Permission.SeeAllTeams, Permission.ReadJournal, Permission.SeeInvoices]);
    /// await admin.Organization.AssignPermissionSetAsync(new UserId("olga"), "auditor");
    /// </code></example>
    /// <exception cref="CrmValidationException">An id other than 1 to 64 letters, digits, '-' or '_'; an empty name; an undefined permission.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    public async Task<Crm.Kernel.Security.PermissionSet> DefinePermissionSetAsync(string id, string name, IReadOnlyCollection<Crm.Kernel.Security.Permission> permissions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        var errors = new List<ValidationError>();
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add(new("id", $"a permission set id is 1 to 64 ASCII letters, digits, '-' or '_'; got '{id}'."));
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            errors.Add(new("name", "a permission set needs a name of 1 to 200 characters."));
        }

        foreach (var permission in permissions)
        {
            if (!Enum.IsDefined(permission))
            {
                errors.Add(new("permissions", $"{(int)permission} is not a permission; use one of {string.Join(", ", Enum.GetNames<Crm.Kernel.Security.Permission>())}."));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define permission sets");
        var rights = permissions.Distinct().Order().ToArray();
        await unit.RecordAsync(new Crm.Kernel.Security.PermissionSetDefined(id, name.Trim(), rights), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.PermissionSet, id);
    }

    /// <summary>
    /// Gives a user one of the tenant's permission sets, or with <paramref name="permissionSet"/> null takes it away so
    /// the role's defaults apply again (administrators only; journaled). Takes effect on the user's next call.
    /// </summary>
    /// <exception cref="CrmValidationException">The set does not exist, or the user is an administrator (who always has every right).</exception>
    /// <exception cref="EntityNotFoundException">The user does not exist.</exception>
    /// <exception cref="AccessDeniedException">The caller is not an administrator.</exception>
    public async Task<CrmUser> AssignPermissionSetAsync(UserId user, string? permissionSet, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("assign permission sets");
        var target = await unit.GetAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false);
        if (target.Role == CrmRole.Admin)
        {
            throw new CrmValidationException("user", $"user '{user}' is an administrator and always has every right; give the set to a seller or head.");
        }

        if (permissionSet is not null && await unit.FindAsync(Kinds.PermissionSet, permissionSet, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new CrmValidationException("permissionSet", $"the tenant has no permission set '{permissionSet}'; define it first (DefinePermissionSetAsync).");
        }

        await unit.RecordAsync(new Crm.Kernel.Security.UserPermissionSetAssigned(user, permissionSet), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.User, user.Value);
    }

    /// <summary>The tenant's permission sets in id order (everyone may read them).</summary>
    public async Task<IReadOnlyList<Crm.Kernel.Security.PermissionSet>> ListPermissionSetsAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var sets = new List<Crm.Kernel.Security.PermissionSet>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.PermissionSet.Name, null, cancellationToken).ConfigureAwait(false))
        {
            sets.Add((Crm.Kernel.Security.PermissionSet)Kinds.PermissionSet.Read(document));
        }

        sets.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return sets;
    }

    private static async ValueTask<List<string>> IdsAsync(Crm.Abstractions.Storage.ICrmStore store, TenantId tenant, string kind, IndexEntry index, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var document in store.QueryAsync(tenant, kind, index, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(document.Id);
        }

        return ids;
    }
}
