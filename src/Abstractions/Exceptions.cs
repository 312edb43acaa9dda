namespace Crm.Abstractions;

/// <summary>Base of every exception the kernel and its ports throw on purpose. Catch this to handle all of them.</summary>
public abstract class CrmException : Exception
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    protected CrmException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>One broken validation rule: the field (or path) and what is wrong with it.</summary>
/// <param name="Field">The field or path, e.g. <c>amount</c> or <c>contacts[0].phone</c>.</param>
/// <param name="Message">What is wrong and what is expected.</param>
public sealed record ValidationError(string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Input broke one or more validation rules. Nothing was changed.</summary>
public class CrmValidationException : CrmException
{
    /// <summary>Creates the exception from the broken rules (at least one).</summary>
    public CrmValidationException(IReadOnlyList<ValidationError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception for one field.</summary>
    public CrmValidationException(string field, string message)
        : this([new ValidationError(field, message)])
    {
    }

    /// <summary>The broken rules, one per field or path.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    private static string Describe(IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 1
            ? $"Invalid input: {errors[0]}"
            : $"Invalid input ({errors.Count} problems): " + string.Join("; ", errors);
    }
}

/// <summary>A deal cannot enter a stage because fields that stage requires are missing. Nothing was changed.</summary>
public sealed class StageRequirementsNotMetException : CrmValidationException
{
    /// <summary>Creates the exception naming the stage and the missing fields.</summary>
    public StageRequirementsNotMetException(DealId deal, StageId stage, IReadOnlyList<string> missingFields)
        : base(missingFields.Select(f => new ValidationError(f, $"deal '{deal}' must have '{f}' before it may enter stage '{stage}'; set it first.")).ToArray())
    {
        Deal = deal;
        Stage = stage;
        MissingFields = missingFields;
    }

    /// <summary>The deal that was to move.</summary>
    public DealId Deal { get; }
    /// <summary>The stage it was to enter.</summary>
    public StageId Stage { get; }
    /// <summary>The fields the deal lacks.</summary>
    public IReadOnlyList<string> MissingFields { get; }
}

/// <summary>A record that was asked for does not exist in this tenant (or is not visible to the session).</summary>
public sealed class EntityNotFoundException : CrmException
{
    /// <summary>Creates the exception naming the kind and id of the missing record.</summary>
    public EntityNotFoundException(string kind, string id)
        : base($"No {kind} with id '{id}' exists in this tenant. Check the id, or create the {kind} first.")
    {
        Kind = kind;
        Id = id;
    }

    /// <summary>The kind of record, e.g. <c>deal</c>.</summary>
    public string Kind { get; }
    /// <summary>The id that was not found.</summary>
    public string Id { get; }
}

/// <summary>The session's user may not do this to this record. Nothing was changed.</summary>
public sealed class AccessDeniedException : CrmException
{
    /// <summary>Creates the exception naming who tried what.</summary>
    public AccessDeniedException(UserId user, string action, string? target = null)
        : base($"User '{user}' may not {action}{(target is null ? "" : $" on {target}")}. A seller acts on their own records, a head on the team's, an administrator configures the tenant; ask someone with that right.")
    {
        User = user;
        Action = action;
        Target = target;
    }

    /// <summary>The user who tried.</summary>
    public UserId User { get; }
    /// <summary>What they tried.</summary>
    public string Action { get; }
    /// <summary>The record they tried it on, when there is one.</summary>
    public string? Target { get; }
}

/// <summary>
/// A write was based on a stale version of a record: somebody else changed it first. Nothing was changed;
/// reload the record and try again.
/// </summary>
public sealed class ConcurrencyConflictException : CrmException
{
    /// <summary>Creates the exception naming the record and the versions.</summary>
    public ConcurrencyConflictException(string kind, string id, long expectedVersion, long actualVersion)
        : base($"The {kind} '{id}' was changed by someone else (expected version {expectedVersion}, found {actualVersion}). Nothing was written; reload it and apply the change again.")
    {
        Kind = kind;
        Id = id;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The kind of record.</summary>
    public string Kind { get; }
    /// <summary>The record's id.</summary>
    public string Id { get; }
    /// <summary>The version the write expected (0 = the record should not exist yet).</summary>
    public long ExpectedVersion { get; }
    /// <summary>The version found in the store (0 = it does not exist).</summary>
    public long ActualVersion { get; }
}

/// <summary>A unique key (a normalized phone, an e-mail, an external order id) is already taken. Nothing was changed.</summary>
public class DuplicateKeyException : CrmException
{
    /// <summary>Creates the exception naming the key and the record that holds it.</summary>
    public DuplicateKeyException(string scope, string key, string existingOwnerId, string? message = null)
        : base(message ?? $"The {scope} '{key}' already belongs to '{existingOwnerId}'. Use that record, or release the key first.")
    {
        Scope = scope;
        Key = key;
        ExistingOwnerId = existingOwnerId;
    }

    /// <summary>What kind of key, e.g. <c>client-phone</c>.</summary>
    public string Scope { get; }
    /// <summary>The key value.</summary>
    public string Key { get; }
    /// <summary>The id of the record that holds the key.</summary>
    public string ExistingOwnerId { get; }
}

/// <summary>A client card with the same normalized phone or e-mail already exists. Nothing was created.</summary>
public sealed class DuplicateClientException : DuplicateKeyException
{
    /// <summary>Creates the exception naming the existing client.</summary>
    public DuplicateClientException(ClientId existing, string existingName, string matchedOn, string value)
        : base(matchedOn, value, existing.Value,
            $"A client with {matchedOn} '{value}' already exists: '{existingName}' ({existing}). Open that card, or create with merge requested to add the new details to it.")
    {
        ExistingClient = existing;
        ExistingName = existingName;
    }

    /// <summary>The client that already has the phone or e-mail.</summary>
    public ClientId ExistingClient { get; }
    /// <summary>That client's name.</summary>
    public string ExistingName { get; }
}

/// <summary>
/// Reactions (goals, rules, processes) kept triggering each other beyond the depth limit, which usually means a loop
/// in the configuration. The whole command was rolled back.
/// </summary>
public sealed class ReactionCascadeTooDeepException : CrmException
{
    /// <summary>Creates the exception naming the limit and the last reactions in the chain.</summary>
    public ReactionCascadeTooDeepException(int limit, IReadOnlyList<string> chain)
        : base($"Reactions cascaded deeper than {limit} levels; the command was rolled back and nothing was written. Look for a loop among: {string.Join(" -> ", chain)}. Raise CrmKernelOptions.MaxReactionDepth only if the chain is intended.")
    {
        Limit = limit;
        Chain = chain;
    }

    /// <summary>The depth limit that was hit.</summary>
    public int Limit { get; }
    /// <summary>The last reactions in the chain, oldest first.</summary>
    public IReadOnlyList<string> Chain { get; }
}

/// <summary>Two amounts in different currencies were combined. Convert one first through a rates port.</summary>
public sealed class CurrencyMismatchException : CrmException
{
    /// <summary>Creates the exception naming both currencies.</summary>
    public CurrencyMismatchException(string left, string right)
        : base($"Cannot combine {left} and {right} amounts; convert one of them first (amounts are never summed across currencies).")
    {
        Left = left;
        Right = right;
    }

    /// <summary>The first currency.</summary>
    public string Left { get; }
    /// <summary>The second currency.</summary>
    public string Right { get; }
}

/// <summary>The command is not allowed in the record's current state (e.g. moving a closed deal, completing a done task).</summary>
public sealed class InvalidStateException : CrmException
{
    /// <summary>Creates the exception with a message that says what state is needed.</summary>
    public InvalidStateException(string message)
        : base(message)
    {
    }
}
