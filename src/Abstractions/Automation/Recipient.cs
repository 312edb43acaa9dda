namespace Crm.Abstractions.Automation;

/// <summary>What kind of person or group a <see cref="Recipient"/> names.</summary>
public enum RecipientKind
{
    /// <summary>The deal's owner when the action runs.</summary>
    DealOwner = 0,
    /// <summary>The head of the deal owner's team.</summary>
    OwnerHead = 1,
    /// <summary>One user, by id.</summary>
    User = 2,
    /// <summary>Whoever plays a role of the process (process steps only).</summary>
    Role = 3,
    /// <summary>The next active member of a team, in turn (owner assignment only).</summary>
    Team = 4,
    /// <summary>A stage's designated manager (owner assignment only); no name: the deal's stage when the action runs.</summary>
    StageManager = 5,
}

/// <summary>
/// Who an action is for or who gets a deal: the one recipient/assignee type of notifications, tasks, owner assignments
/// and rule deadlines. JSON (and <see cref="ToString"/>): <c>"dealOwner"</c>, <c>"ownerHead"</c>, <c>"user:u-42"</c>,
/// <c>"role:legal"</c>, <c>"team:sales"</c>, <c>"stageManager"</c> or <c>"stageManager:negotiation"</c>.
/// </summary>
/// <param name="Kind">The kind.</param>
/// <param name="Name">The user id, role, team id or stage id the kind needs; null for the others.</param>
public readonly record struct Recipient(RecipientKind Kind, string? Name = null)
{
    /// <summary>The deal's owner (the default).</summary>
    public static Recipient DealOwner => new(RecipientKind.DealOwner);

    /// <summary>The head of the deal owner's team.</summary>
    public static Recipient OwnerHead => new(RecipientKind.OwnerHead);

    /// <summary>One user.</summary>
    public static Recipient User(UserId user) => new(RecipientKind.User, user.Value);

    /// <summary>Whoever plays <paramref name="role"/> in the process.</summary>
    public static Recipient Role(string role) => new(RecipientKind.Role, role);

    /// <summary>The next active member of <paramref name="team"/>, in turn.</summary>
    public static Recipient Team(TeamId team) => new(RecipientKind.Team, team.Value);

    /// <summary>The designated manager of <paramref name="stage"/>, or of the deal's stage when null.</summary>
    public static Recipient StageManager(StageId? stage = null) => new(RecipientKind.StageManager, stage?.Value);

    /// <inheritdoc />
    public override string ToString() => (Kind switch
    {
        RecipientKind.DealOwner => "dealOwner",
        RecipientKind.OwnerHead => "ownerHead",
        RecipientKind.User => "user",
        RecipientKind.Role => "role",
        RecipientKind.Team => "team",
        RecipientKind.StageManager => "stageManager",
        _ => ((int)Kind).ToString(System.Globalization.CultureInfo.InvariantCulture),
    }) + (Name is null ? "" : ":" + Name);

    /// <summary>Parses the text form written by <see cref="ToString"/>; false (with the problem) when it is not one.</summary>
    /// <param name="text">The text, e.g. <c>role:legal</c>.</param>
    /// <param name="recipient">The recipient read.</param>
    /// <param name="problem">What is wrong, when false.</param>
    public static bool TryParse(string? text, out Recipient recipient, out string? problem)
    {
        recipient = default;
        problem = $"'{text}' is not a recipient; use dealOwner, ownerHead, user:<id>, role:<role>, team:<id>, stageManager or stageManager:<stage>.";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var head = colon < 0 ? text : text[..colon];
        var name = colon < 0 ? null : text[(colon + 1)..];
        RecipientKind? kind = head switch
        {
            "dealOwner" => RecipientKind.DealOwner,
            "ownerHead" => RecipientKind.OwnerHead,
            "user" => RecipientKind.User,
            "role" => RecipientKind.Role,
            "team" => RecipientKind.Team,
            "stageManager" => RecipientKind.StageManager,
            _ => null,
        };
        if (kind is not { } k)
        {
            return false;
        }

        var needsName = k is RecipientKind.User or RecipientKind.Role or RecipientKind.Team;
        var allowsName = needsName || k == RecipientKind.StageManager;
        if ((needsName && string.IsNullOrWhiteSpace(name)) || (!allowsName && name is not null) || (name is not null && name.Length == 0))
        {
            problem = needsName ? $"'{text}' needs a name after the colon, e.g. {head}:x." : $"'{text}': {head} takes no name.";
            return false;
        }

        recipient = new Recipient(k, name);
        problem = null;
        return true;
    }
}
