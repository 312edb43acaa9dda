using System.Text.Json.Serialization;
using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Clients;

/// <summary>A client card: a company or a person, their contacts, where they are, and operational classifiers.</summary>
public sealed record Client
{
    /// <summary>The client's id.</summary>
    public required ClientId Id { get; init; }
    /// <summary>Company or person.</summary>
    public required ClientKind Kind { get; init; }
    /// <summary>The name.</summary>
    public required string Name { get; init; }
    /// <summary>Contacts; phones in E.164 form, e-mails in lower case.</summary>
    public IReadOnlyList<ClientContact> Contacts { get; init; } = [];
    /// <summary>Region.</summary>
    public string? Region { get; init; }
    /// <summary>City.</summary>
    public string? City { get; init; }
    /// <summary>Industry.</summary>
    public string? Industry { get; init; }
    /// <summary>Operational classifiers, e.g. <c>status = customer</c>.</summary>
    public IReadOnlyDictionary<string, string> Classifiers { get; init; } = new Dictionary<string, string>();
    /// <summary>The user responsible for the card. Clients belong to the company; the owner is who serves them.</summary>
    public required UserId Owner { get; init; }
    /// <summary>When the client was registered.</summary>
    public Instant RegisteredAt { get; init; }
    /// <summary>The stored version, for optimistic concurrency.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
