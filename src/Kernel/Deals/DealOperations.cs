using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Organization;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Deals;

/// <summary>Deal changes shared by manual commands, goal reactions and (later) rules and processes.</summary>
internal static class DealOperations
{
    public static async ValueTask<PipelineDefinition> PipelineOfAsync(UnitOfWork unit, PipelineId id, CancellationToken cancellationToken) =>
        (await unit.GetAsync(Kinds.Pipeline, id.Value, cancellationToken).ConfigureAwait(false)).Definition;

    public static StageDefinition StageOf(PipelineDefinition pipeline, StageId stage, string field = "stage") =>
        pipeline.FindStage(stage) ?? throw new CrmValidationException(field,
            $"stage '{stage}' is not in pipeline '{pipeline.Id}'; its stages are {string.Join(", ", pipeline.Stages.Select(s => s.Id))}.");

    /// <summary>Fields the deal lacks for entering the stage.</summary>
    public static IReadOnlyList<string> MissingFields(Deal deal, StageDefinition stage)
    {
        List<string>? missing = null;
        foreach (var field in stage.RequiredFields)
        {
            var present = field switch
            {
                "amount" => deal.Amount.Amount > 0m,
                "expectedClose" => deal.ExpectedClose is not null,
                "title" => !string.IsNullOrWhiteSpace(deal.Title),
                "source" => !string.IsNullOrWhiteSpace(deal.Source),
                "winProbability" => deal.WinProbability is not null,
                _ => deal.Fields.TryGetValue(field, out var v) && !string.IsNullOrWhiteSpace(v),
            };
            if (!present)
            {
                (missing ??= new List<string>()).Add(field);
            }
        }

        return missing ?? (IReadOnlyList<string>)[];
    }

    /// <summary>Moves a deal to a stage after checking the stage's required fields. Moving to the current stage does nothing.</summary>
    public static async ValueTask<Deal> MoveAsync(UnitOfWork unit, Deal deal, StageId target, Cause cause, CancellationToken cancellationToken)
    {
        var pipeline = await PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
        var stage = StageOf(pipeline, target);
        if (deal.Stage == target)
        {
            return deal;
        }

        var missing = MissingFields(deal, stage);
        if (missing.Count > 0)
        {
            throw new StageRequirementsNotMetException(deal.Id, target, missing);
        }

        return (Deal)(await unit.RecordAsync(new DealStageChanged(deal.Id, deal.Stage, target, stage.Kind), cause, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Hands a deal to an active user.</summary>
    public static async ValueTask<Deal> AssignAsync(UnitOfWork unit, Deal deal, UserId owner, Cause cause, CancellationToken cancellationToken)
    {
        var user = await unit.FindAsync(Kinds.User, owner.Value, cancellationToken).ConfigureAwait(false);
        if (user is not { IsActive: true })
        {
            throw new CrmValidationException("owner", $"user '{owner}' is not an active user of this tenant; pick an active colleague.");
        }

        if (deal.Owner == owner)
        {
            return deal;
        }

        return (Deal)(await unit.RecordAsync(new DealOwnerChanged(deal.Id, deal.Owner, owner), cause, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The head of a user's team (the user themself when they head it).</summary>
    public static async ValueTask<UserId> HeadOfAsync(UnitOfWork unit, UserId user, CancellationToken cancellationToken)
    {
        var member = await unit.GetAsync(Kinds.User, user.Value, cancellationToken).ConfigureAwait(false);
        if (member.Team is { } teamId && await unit.FindAsync(Kinds.Team, teamId.Value, cancellationToken).ConfigureAwait(false) is { } team)
        {
            return team.Head;
        }

        throw new InvalidStateException($"User '{user}' is in no team, so they have no head to notify or escalate to. Put them in a team first.");
    }

    /// <summary>The next active seller of a team after the last one served, in id order.</summary>
    public static async ValueTask<UserId> NextRoundRobinAsync(UnitOfWork unit, TeamId teamId, CancellationToken cancellationToken)
    {
        var team = await unit.GetAsync(Kinds.Team, teamId.Value, cancellationToken).ConfigureAwait(false);
        var members = new List<CrmUser>();
        await foreach (var doc in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.User.Name, new("team", teamId.Value), cancellationToken).ConfigureAwait(false))
        {
            var user = await unit.GetAsync(Kinds.User, doc.Id, cancellationToken).ConfigureAwait(false);
            if (user.IsActive && user.Role == CrmRole.Seller)
            {
                members.Add(user);
            }
        }

        if (members.Count == 0)
        {
            throw new InvalidStateException($"Team '{teamId}' has no active seller to assign the deal to.");
        }

        members.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        var next = members[0];
        if (team.LastRoundRobin is { } last)
        {
            foreach (var member in members)
            {
                if (string.CompareOrdinal(member.Id.Value, last.Value) > 0)
                {
                    next = member;
                    break;
                }
            }
        }

        await unit.RecordAsync(new RoundRobinAdvanced(teamId, next.Id), Cause.System("round-robin"), cancellationToken).ConfigureAwait(false);
        return next.Id;
    }
}
