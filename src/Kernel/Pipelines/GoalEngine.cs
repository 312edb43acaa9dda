using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Pipelines;

/// <summary>Achieves goals and runs their reactions inside the achieving command's unit of work.</summary>
internal static class GoalEngine
{
    /// <summary>Achieves a goal of the deal's current stage and runs its reactions in order.</summary>
    /// <param name="unit">The unit of work.</param>
    /// <param name="actions">Runs the goal's reactions.</param>
    /// <param name="dealId">The deal.</param>
    /// <param name="goalId">A goal of the deal's current stage.</param>
    /// <param name="cause">Who or what achieved it (a user, a rule, an event).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async ValueTask AchieveAsync(UnitOfWork unit, ActionRunner actions, DealId dealId, GoalId goalId, Cause cause, CancellationToken cancellationToken)
    {
        var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
        var stage = DealOperations.StageOf(pipeline, deal.Stage);
        var goal = stage.Goals.FirstOrDefault(g => g.Id == goalId)
            ?? throw new CrmValidationException("goal",
                $"'{goalId}' is not a goal of stage '{stage.Id}' where deal '{dealId}' is now; its goals are: {(stage.Goals.Count == 0 ? "none" : string.Join(", ", stage.Goals.Select(g => g.Id)))}.");

        await unit.RecordAsync(new GoalAchieved(deal.Id, stage.Id, goal.Id, goal.Name), cause, cancellationToken).ConfigureAwait(false);
        var reactionCause = Cause.Goal(goal.Id, goal.Name);
        foreach (var reaction in goal.Reactions)
        {
            await RunAsync(unit, actions, dealId, reaction, reactionCause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask RunAsync(UnitOfWork unit, ActionRunner actions, DealId dealId, AutomationAction reaction, Cause cause, CancellationToken cancellationToken)
    {
        // Re-read the deal for every reaction: an earlier one may have moved or reassigned it.
        var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        switch (reaction)
        {
            case AchieveGoal achieve:
                unit.Enqueue($"goal {achieve.Goal} on deal {dealId}", (u, ct) => AchieveAsync(u, actions, dealId, achieve.Goal, cause, ct));
                break;
            default:
                await actions.RunOnDealAsync(unit, deal, reaction, cause, AutomationSite.Goal, cause.Reference ?? "", cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}
