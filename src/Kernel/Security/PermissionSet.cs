using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;

namespace Crm.Kernel.Security;

/// <summary>
/// One right a permission set grants. Visibility and the right to change go together: what a user may see, they may
/// change, unless their set lacks <see cref="Write"/>.
/// </summary>
public enum Permission
{
    /// <summary>Make changes at all (commands). A set without it is read-only: every command fails with <see cref="AccessDeniedException"/>.</summary>
    Write = 0,
    /// <summary>See (and, with <see cref="Write"/>, change) the records of the members of the teams the user heads or belongs to.</summary>
    SeeTeam = 1,
    /// <summary>See (and, with <see cref="Write"/>, change) the records of every user of the tenant.</summary>
    SeeAllTeams = 2,
    /// <summary>Read the journal entries of the records the user sees (with <see cref="SeeAllTeams"/>: the whole journal).</summary>
    ReadJournal = 3,
    /// <summary>Read every invoice of the tenant and its client's name, and (with <see cref="Write"/>) issue it, record its payment or cancel it.</summary>
    SeeInvoices = 4,
    /// <summary>Approve or reject any pending rule exception of the tenant (a discount, a "complex" deal), besides the approver the rule named.</summary>
    ApproveDiscounts = 5,
}

/// <summary>
/// A tenant's named set of permissions, defined by an administrator as data (<see cref="Organization.SessionOrganization.DefinePermissionSetAsync"/>)
/// and given to users (<see cref="Organization.SessionOrganization.AssignPermissionSetAsync"/>). A user's set replaces the
/// defaults of their role; administrators always have every right.
/// </summary>
public sealed record PermissionSet
{
    /// <summary>The set's id, unique in the tenant (e.g. <c>auditor</c>).</summary>
    public required string Id { get; init; }
    /// <summary>The name shown to administrators.</summary>
    public required string Name { get; init; }
    /// <summary>The rights, in enum order, without repeats.</summary>
    public required IReadOnlyList<Permission> Permissions { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }

    /// <summary>The rights a role has when its user has no permission set.</summary>
    /// <param name="role">The role.</param>
    /// <returns>Seller: write; head: write, see the team, read the team's journal; administrator: every right.</returns>
    public static IReadOnlyList<Permission> DefaultsOf(CrmRole role) => role switch
    {
        CrmRole.Admin => Enum.GetValues<Permission>(),
        CrmRole.Head => [Permission.Write, Permission.SeeTeam, Permission.ReadJournal],
        _ => [Permission.Write],
    };
}

/// <summary>An administrator defined (or redefined) a permission set of the tenant.</summary>
/// <param name="Set">The set's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Permissions">Its rights.</param>
public sealed record PermissionSetDefined(string Set, string Name, IReadOnlyList<Permission> Permissions) : DomainEvent;

/// <summary>An administrator gave a user a permission set, or (<paramref name="Set"/> null) took it away so the role's defaults apply.</summary>
/// <param name="User">The user.</param>
/// <param name="Set">The set's id, or null.</param>
public sealed record UserPermissionSetAssigned(UserId User, string? Set) : DomainEvent;

/// <summary>
/// A user was shown the caller's card (name, contacts, owner) for a call they answered although the client is not
/// theirs: caller recognition shows it to whoever answers, and the journal keeps who saw it.
/// </summary>
/// <param name="Call">The call.</param>
/// <param name="Client">The client whose card was shown.</param>
/// <param name="User">Who saw it.</param>
public sealed record CallerCardShown(string Call, ClientId Client, UserId User) : DomainEvent;
