using Crm.Abstractions;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Security;

/// <summary>The user behind a session as one command sees them: role and the owners whose records they may see.</summary>
internal sealed class SessionActor
{
    private SessionActor(CrmUser user, IReadOnlySet<UserId>? visibleOwners)
    {
        User = user;
        VisibleOwners = visibleOwners;
    }

    public CrmUser User { get; }

    public UserId Id => User.Id;

    /// <summary>Owners whose deals, clients and tasks the user sees; null means all (administrators).</summary>
    public IReadOnlySet<UserId>? VisibleOwners { get; }

    public bool IsAdmin => User.Role == CrmRole.Admin;

    public bool CanSee(UserId owner) => VisibleOwners is null || VisibleOwners.Contains(owner);

    public void RequireAdmin(string action)
    {
        if (!IsAdmin)
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

        return user.Role switch
        {
            CrmRole.Admin => new SessionActor(user, null),
            CrmRole.Head => new SessionActor(user, await TeamOwnersAsync(unit, user, cancellationToken).ConfigureAwait(false)),
            _ => new SessionActor(user, new HashSet<UserId> { user.Id }),
        };
    }

    private static async ValueTask<IReadOnlySet<UserId>> TeamOwnersAsync(UnitOfWork unit, CrmUser head, CancellationToken cancellationToken)
    {
        var owners = new HashSet<UserId> { head.Id };
        var store = unit.Context.Store;
        await foreach (var team in store.QueryAsync(unit.Tenant, Kinds.Team.Name, new("head", head.Id.Value), cancellationToken).ConfigureAwait(false))
        {
            await foreach (var member in store.QueryAsync(unit.Tenant, Kinds.User.Name, new("team", team.Id), cancellationToken).ConfigureAwait(false))
            {
                owners.Add(new UserId(member.Id));
            }
        }

        return owners;
    }
}
