using Crm.Abstractions;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Security;

/// <summary>
/// The user behind a session as one command sees them: role, rights (their permission set's, or their role's defaults)
/// and the owners whose records they may see.
/// </summary>
internal sealed class SessionActor
{
    private readonly HashSet<Permission> _permissions;

    private SessionActor(CrmUser user, IReadOnlySet<UserId>? visibleOwners, IEnumerable<Permission> permissions)
    {
        User = user;
        VisibleOwners = visibleOwners;
        _permissions = new HashSet<Permission>(permissions);
    }

    public CrmUser User { get; }

    public UserId Id => User.Id;

    /// <summary>Owners whose deals, clients and tasks the user sees; null means all (administrators, <see cref="Permission.SeeAllTeams"/>).</summary>
    public IReadOnlySet<UserId>? VisibleOwners { get; }

    public bool IsAdmin => User.Role == CrmRole.Admin;

    /// <summary>False for a read-only permission set: the unit of work then refuses to commit any change.</summary>
    public bool CanWrite => Has(Permission.Write);

    public bool Has(Permission permission) => IsAdmin || _permissions.Contains(permission);

    public bool CanSee(UserId owner) => VisibleOwners is null || VisibleOwners.Contains(owner);

    public void RequireAdmin(string action)
    {
        if (!IsAdmin)
        {
            throw new AccessDeniedException(Id, action);
        }
    }

    public void Require(Permission permission, string action)
    {
        if (!Has(permission))
        {
            throw new AccessDeniedException(Id, action);
        }
    }

    public void RequireCanActFor(UserId owner, string action, string target)
    {
        if (!CanSee(owner))
        {
            throw new AccessDeniedException(Id, action, target);
        }
    }

    public static async ValueTask<SessionActor> ResolveAsync(UnitOfWork unit, UserId userId, CancellationToken cancellationToken)
    {
        var user = await unit.FindAsync(Kinds.User, userId.Value, cancellationToken).ConfigureAwait(false)
            ?? throw new AccessDeniedException(userId, "use tenant " + unit.Tenant, "an unregistered user");
        if (!user.IsActive)
        {
            throw new AccessDeniedException(userId, "use tenant " + unit.Tenant, "a deactivated account");
        }

        if (user.Role == CrmRole.Admin)
        {
            return new SessionActor(user, null, PermissionSet.DefaultsOf(CrmRole.Admin));
        }

        var permissions = PermissionSet.DefaultsOf(user.Role);
        if (user.PermissionSet is { } setId)
        {
            // A set that is missing grants nothing: failing closed beats falling back to the role's rights.
            permissions = (await unit.FindAsync(Kinds.PermissionSet, setId, cancellationToken).ConfigureAwait(false))?.Permissions ?? [];
        }

        IReadOnlySet<UserId>? owners = permissions.Contains(Permission.SeeAllTeams) ? null
            : permissions.Contains(Permission.SeeTeam) ? await TeamOwnersAsync(unit, user, cancellationToken).ConfigureAwait(false)
            : new HashSet<UserId> { user.Id };
        var actor = new SessionActor(user, owners, permissions);
        unit.ReadOnlyActor = actor.CanWrite ? null : user.Id;
        return actor;
    }

    private static async ValueTask<IReadOnlySet<UserId>> TeamOwnersAsync(UnitOfWork unit, CrmUser user, CancellationToken cancellationToken)
    {
        var owners = new HashSet<UserId> { user.Id };
        var store = unit.Context.Store;
        var teams = new List<string>();
        await foreach (var team in store.QueryAsync(unit.Tenant, Kinds.Team.Name, new("head", user.Id.Value), cancellationToken).ConfigureAwait(false))
        {
            teams.Add(team.Id);
        }

        // A head sees the teams they head; anyone else given SeeTeam sees their own team.
        if (teams.Count == 0 && user.Role != CrmRole.Head && user.Team is { } own)
        {
            teams.Add(own.Value);
        }

        foreach (var team in teams)
        {
            if (await unit.FindAsync(Kinds.Team, team, cancellationToken).ConfigureAwait(false) is { } t)
            {
                owners.Add(t.Head);
            }

            await foreach (var member in store.QueryAsync(unit.Tenant, Kinds.User.Name, new("team", team), cancellationToken).ConfigureAwait(false))
            {
                owners.Add(new UserId(member.Id));
            }
        }

        return owners;
    }
}
