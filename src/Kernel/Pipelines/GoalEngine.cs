using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Pipelines;

/// <summary>Achieves goals and runs their reactions inside the achieving command's unit of work.</summary>
internal static class GoalEngine
{
    /// <summary>Achieves a goal of the deal's current stage and runs its reactions in order.</summary>
    /// <param name="unit">The unit of work.</param>
    /// <param name="dealId">The deal.</param>
    /// <param name="goalId">A goal of the deal's current stage.</param>
    /// <param name="cause">Who or what achieved it (a user, a rule, an event).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async ValueTask AchieveAsync(UnitOfWork unit, DealId dealId, GoalId goalId, Cause cause, CancellationToken cancellationToken)
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
            await RunAsync(unit, dealId, reaction, reactionCause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask RunAsync(UnitOfWork unit, DealId dealId, Reaction reaction, Cause cause, CancellationToken cancellationToken)
    {
        // Re-read the deal for every reaction: an earlier one may have moved or reassigned it.
        var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
        switch (reaction)
        {
            case MoveToStage move:
                await DealOperations.MoveAsync(unit, deal, move.Stage, cause, cancellationToken).ConfigureAwait(false);
                break;
            case SetClientClassifier classifier:
                await unit.GetAsync(Kinds.Client, deal.Client.Value, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new ClientClassifierSet(deal.Client, classifier.Name, classifier.Value), cause, cancellationToken).ConfigureAwait(false);
                break;
            case SetDealField field:
                await unit.RecordAsync(new DealFieldSet(deal.Id, field.Name, field.Value), cause, cancellationToken).ConfigureAwait(false);
                break;
            case AssignOwnerToUser assign:
                await DealOperations.AssignAsync(unit, deal, assign.User, cause, cancellationToken).ConfigureAwait(false);
                break;
            case AssignOwnerRoundRobin roundRobin:
                var next = await DealOperations.NextRoundRobinAsync(unit, roundRobin.Team, cancellationToken).ConfigureAwait(false);
                await DealOperations.AssignAsync(unit, deal, next, cause, cancellationToken).ConfigureAwait(false);
                break;
            case AssignOwnerToStageManager toManager:
                var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
                var stage = DealOperations.StageOf(pipeline, toManager.Stage ?? deal.Stage);
                var manager = stage.Manager ?? throw new InvalidStateException(
                    $"Stage '{stage.Id}' of pipeline '{pipeline.Id}' has no designated manager; set StageDefinition.Manager or assign another way.");
                await DealOperations.AssignAsync(unit, deal, manager, cause, cancellationToken).ConfigureAwait(false);
                break;
            case CreateTask task:
                var assignee = await RecipientAsync(unit, deal, task.For, task.User, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new WorkTaskCreated(WorkTaskId.New(), task.Title, assignee, unit.Now + task.DueIn, deal.Id, deal.Client), cause, cancellationToken).ConfigureAwait(false);
                break;
            case Notify notify:
                var recipient = await RecipientAsync(unit, deal, notify.To, notify.User, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new NotificationRequested(recipient, notify.Subject, notify.Body, deal.Id), cause, cancellationToken).ConfigureAwait(false);
                break;
            case StartProcess start:
                await unit.RecordAsync(new ProcessStartRequested(start.TemplateId, deal.Id), cause, cancellationToken).ConfigureAwait(false);
                break;
            case AchieveGoal achieve:
                unit.Enqueue($"goal {achieve.Goal} on deal {dealId}", (u, ct) => AchieveAsync(u, dealId, achieve.Goal, cause, ct));
                break;
            default:
                throw new InvalidStateException($"The kernel cannot run reactions of type {reaction?.GetType().Name ?? "null"}.");
        }
    }

    private static async ValueTask<UserId> RecipientAsync(UnitOfWork unit, Deal deal, Recipient recipient, UserId? user, CancellationToken cancellationToken) =>
        recipient switch
        {
            Recipient.DealOwner => deal.Owner,
            Recipient.OwnerHead => await DealOperations.HeadOfAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false),
            _ => user ?? throw new CrmValidationException("user", "name the user when the recipient is a user."),
        };
}
