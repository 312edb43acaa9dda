namespace Crm.Abstractions;

/// <summary>What a user may do. Roles are checked by the kernel on every command and query.</summary>
public enum CrmRole
{
    /// <summary>Sees and changes only their own deals, clients and tasks.</summary>
    Seller = 0,
    /// <summary>Leads a team: sees and changes the team's records (all records where the company is one team).</summary>
    Head = 1,
    /// <summary>Configures the tenant (users, teams, pipelines) and sees everything.</summary>
    Admin = 2,
}

/// <summary>Whether a client card is a company or a person.</summary>
public enum ClientKind
{
    /// <summary>A company (legal entity).</summary>
    Company = 0,
    /// <summary>A private person.</summary>
    Person = 1,
    /// <summary>A supplier the tenant buys goods from (purchase orders go to it).</summary>
    Supplier = 2,
}

/// <summary>The kind of an activity logged against a client.</summary>
public enum ActivityKind
{
    /// <summary>A phone call.</summary>
    Call = 0,
    /// <summary>An e-mail.</summary>
    Email = 1,
    /// <summary>A meeting.</summary>
    Meeting = 2,
    /// <summary>A note.</summary>
    Note = 3,
}

/// <summary>A contact of a client card. Phones are stored in E.164 form, e-mails in lower case.</summary>
/// <param name="Name">The contact person's name, when known.</param>
/// <param name="Phone">A phone number in E.164 form, e.g. <c>+4722334455</c>.</param>
/// <param name="Email">An e-mail address, lower case.</param>
public sealed record ClientContact(string? Name, string? Phone, string? Email);
