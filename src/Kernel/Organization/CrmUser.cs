using System.Text.Json.Serialization;
using Crm.Abstractions;

namespace Crm.Kernel.Organization;

/// <summary>A user of a tenant: a seller, a head or an administrator.</summary>
public sealed record CrmUser
{
    /// <summary>The user's id.</summary>
    public required UserId Id { get; init; }
    /// <summary>The name.</summary>
    public required string Name { get; init; }
    /// <summary>What the user may do.</summary>
    public required CrmRole Role { get; init; }
    /// <summary>The team the user belongs to, when any.</summary>
    public TeamId? Team { get; init; }
    /// <summary>E-mail address for notifications.</summary>
    public string? Email { get; init; }
    /// <summary>IANA time zone id, e.g. <c>Europe/Oslo</c>; null: the tenant's.</summary>
    public string? TimeZone { get; init; }
    /// <summary>The telephone extension that rings this user, when any.</summary>
    public string? Extension { get; init; }
    /// <summary>False once the user has left (deactivated).</summary>
    public bool IsActive { get; init; } = true;
    /// <summary>The id of the tenant's permission set that replaces the role's default rights; null: the role's defaults.</summary>
    public string? PermissionSet { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A team of sellers and its head.</summary>
public sealed record Team
{
    /// <summary>The team's id.</summary>
    public required TeamId Id { get; init; }
    /// <summary>The name.</summary>
    public required string Name { get; init; }
    /// <summary>The head of the team.</summary>
    public required UserId Head { get; init; }
    /// <summary>The member who got the last round-robin assignment.</summary>
    public UserId? LastRoundRobin { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
