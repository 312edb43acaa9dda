using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Activities;

/// <summary>What it takes to log an activity.</summary>
/// <param name="Kind">Call, e-mail, meeting or note.</param>
/// <param name="Client">The client.</param>
/// <param name="Subject">A short subject.</param>
public sealed record NewActivity(ActivityKind Kind, ClientId Client, string Subject)
{
    /// <summary>The deal it belongs to.</summary>
    public DealId? Deal { get; init; }
    /// <summary>Details.</summary>
    public string? Body { get; init; }
    /// <summary>When it happened; null: now.</summary>
    public Instant? At { get; init; }
    /// <summary>How long it took.</summary>
    public Duration? Duration { get; init; }
    /// <summary>Where a call recording is.</summary>
    public string? RecordingReference { get; init; }
}

/// <summary>Calls, e-mails, meetings and notes, as one session sees them.</summary>
public sealed class SessionActivities
{
    private readonly CrmSession _session;

    internal SessionActivities(CrmSession session) => _session = session;

    /// <summary>Logs an activity against a visible client (and deal).</summary>
    /// <exception cref="CrmValidationException">Empty subject, negative duration, or a deal of another client; a text too long or not valid
    /// UTF-16 (see <c>docs/input-limits.md</c>), an instant outside 1900–2200, a duration over 366 days.</exception>
    public async Task<Activity> LogAsync(NewActivity activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (string.IsNullOrWhiteSpace(activity.Subject) || activity.Subject.Length > 500)
        {
            throw new CrmValidationException("subject", "an activity needs a subject of 1 to 500 characters.");
        }

        if (activity.Duration is { } d && d < Duration.Zero)
        {
            throw new CrmValidationException("duration", "cannot be negative.");
        }

        var errors = new List<ValidationError>();
        InputRules.Text(errors, "subject", activity.Subject, TextLimits.Title, required: true);
        InputRules.Text(errors, "body", activity.Body, TextLimits.FreeText);
        InputRules.Text(errors, "recordingReference", activity.RecordingReference, TextLimits.Value, singleLine: true);
        InputRules.InstantInRange(errors, "at", activity.At);
        if (activity.Duration is { } length && length > Duration.FromDays(366))
        {
            errors.Add(new("duration", $"is at most 366 days; got {length}."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var client = await unit.GetAsync(Kinds.Client, activity.Client.Value, cancellationToken).ConfigureAwait(false);
        if (activity.Deal is { } dealId)
        {
            var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
            actor.RequireCanActFor(deal.Owner, "log an activity on a deal", $"deal '{dealId}'");
            if (deal.Client != client.Id)
            {
                throw new CrmValidationException("deal", $"deal '{dealId}' belongs to client '{deal.Client}', not '{client.Id}'.");
            }
        }
        else
        {
            actor.RequireCanActFor(client.Owner, "log an activity on a client", $"client '{client.Id}'");
        }

        var id = ActivityId.New();
        await unit.RecordAsync(new ActivityLogged(id, activity.Kind, client.Id, activity.Deal, actor.Id, activity.Subject.Trim(), activity.Body,
            activity.Duration, activity.RecordingReference), Cause.Manual, cancellationToken, activity.At).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Activity, id.Value);
    }

    /// <summary>
    /// Lists a visible client's activities, newest first. On a colleague's client shared through a deal, only the
    /// activities of the user's visible deals and those logged by users they see.
    /// </summary>
    /// <exception cref="EntityNotFoundException">The client does not exist or the user does not see it.</exception>
    public async Task<IReadOnlyList<Activity>> ListForClientAsync(ClientId client, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var card = await RecordOwner.VisibleClientAsync(unit, actor, client, cancellationToken).ConfigureAwait(false);
        var whole = actor.CanSee(card.Owner);
        var result = new List<Activity>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Activity.Name, new IndexEntry("client", client.Value), cancellationToken).ConfigureAwait(false))
        {
            var activity = (Activity)Kinds.Activity.Read(document);

            // A card shared through a deal shows what the user's side did, not the colleague's whole history.
            if (whole || actor.CanSee(activity.By)
                || activity.Deal is { } deal && await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false) is { } d && actor.CanSee(d.Owner))
            {
                result.Add(activity);
            }
        }

        result.Sort((a, b) => b.At.CompareTo(a.At));
        return result;
    }
}
