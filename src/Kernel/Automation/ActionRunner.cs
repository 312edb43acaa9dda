using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Abstractions.Events;
using Crm.Kernel.Deals;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Automation;

/// <summary>
/// Runs one action of the one action model on a deal, for a goal or a rule, in the caller's unit of work. Owned by the
/// process engine, which knows the tenant's calendars, starts processes and holds the plug-ins' action handlers.
/// </summary>
internal sealed class ActionRunner(Crm.Kernel.Processes.ProcessEngine processes)
{
    /// <summary>Runs <paramref name="action"/> on <paramref name="deal"/>.</summary>
    /// <param name="unit">The unit of work.</param>
    /// <param name="deal">The deal as it is now.</param>
    /// <param name="action">The action.</param>
    /// <param name="cause">What ran it.</param>
    /// <param name="site">A goal or a rule (a goal's head recipient must exist; a rule's falls back to the owner).</param>
    /// <param name="source">The goal or rule id, passed to plug-in handlers.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async ValueTask RunOnDealAsync(UnitOfWork unit, Deal deal, AutomationAction action, Cause cause, AutomationSite site, string source, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case Notify notify:
                var to = await RecipientAsync(unit, deal, notify.To, site, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new NotificationRequested(to, Fill(notify.Subject, deal), Fill(notify.Body, deal), deal.Id), cause, cancellationToken).ConfigureAwait(false);
                break;
            case CreateTask task:
                var assignee = await RecipientAsync(unit, deal, task.Assignee, site, cancellationToken).ConfigureAwait(false);
                var calendar = await processes.Configuration.CalendarOfAsync(unit, assignee, cancellationToken).ConfigureAwait(false);
                await unit.RecordAsync(new WorkTaskCreated(WorkTaskId.New(), Fill(task.Title, deal), assignee, task.Due.AddTo(unit.Now, calendar), deal.Id, deal.Client), cause, cancellationToken).ConfigureAwait(false);
                break;
            case SetField field:
                await SetAsync(unit, deal.Id, deal.Client, field, cause, cancellationToken).ConfigureAwait(false);
                break;
            case MoveToStage move:
                await DealOperations.MoveAsync(unit, deal, move.Stage, cause, cancellationToken).ConfigureAwait(false);
                break;
            case AssignOwner assign:
                var owner = assign.To.Kind switch
                {
                    RecipientKind.User => new UserId(assign.To.Name!),
                    RecipientKind.Team => await DealOperations.NextRoundRobinAsync(unit, new TeamId(assign.To.Name!), cancellationToken).ConfigureAwait(false),
                    RecipientKind.StageManager => await StageManagerAsync(unit, deal, assign.To.Name, cancellationToken).ConfigureAwait(false),
                    _ => throw new InvalidStateException($"'{assign.To}' cannot own a deal; use user:<id>, team:<id> or stageManager."),
                };
                await DealOperations.AssignAsync(unit, deal, owner, cause, cancellationToken).ConfigureAwait(false);
                break;
            case StartProcess start when site == AutomationSite.Goal:
                // A goal asks; the process reactor starts it one level deeper (ProcessStartRequested stays in the journal).
                await unit.RecordAsync(new ProcessStartRequested(start.Template, deal.Id), cause, cancellationToken).ConfigureAwait(false);
                break;
            case StartProcess start:
                await processes.StartAsync(unit, start.Template, deal.Id, null, null, cause, cancellationToken).ConfigureAwait(false);
                break;
            case AchieveGoal goal:
                var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
                if (pipeline.FindStage(deal.Stage)?.Goals.Any(g => g.Id == goal.Goal) == true)
                {
                    await GoalEngine.AchieveAsync(unit, this, deal.Id, goal.Goal, cause, cancellationToken).ConfigureAwait(false);
                }

                break;
            case PluginAction plugin:
                var handler = processes.FindHandler(plugin.Handler) ?? throw new InvalidStateException(
                    $"'{source}' calls plug-in action '{plugin.Handler}', which no loaded plug-in provides; load the plug-in or disable the {(site == AutomationSite.Rule ? "rule" : "goal's reaction")}.");
                await handler.ExecuteAsync(new ActionContext(unit.Tenant, source, deal.ToView(), plugin.Parameters), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidStateException($"'{AutomationValidation.Kind(action)}' cannot run from {(site == AutomationSite.Rule ? "a rule" : "a goal")}; it belongs to process steps.");
        }
    }

    /// <summary>Sets a deal field or classifier or a client classifier (<see cref="SetField.Field"/> is a path).</summary>
    public static async ValueTask SetAsync(UnitOfWork unit, DealId? deal, ClientId? client, SetField field, Cause cause, CancellationToken cancellationToken)
    {
        const string DealField = "deal.field.", DealClassifier = "deal.classifier.", ClientClassifier = "client.classifier.";
        if (field.Field.StartsWith(DealField, StringComparison.Ordinal) && deal is { } d1)
        {
            await unit.RecordAsync(new DealFieldSet(d1, field.Field[DealField.Length..], field.Value), cause, cancellationToken).ConfigureAwait(false);
        }
        else if (field.Field.StartsWith(DealClassifier, StringComparison.Ordinal) && deal is { } d2)
        {
            await unit.RecordAsync(new DealClassifierSet(d2, field.Field[DealClassifier.Length..], field.Value), cause, cancellationToken).ConfigureAwait(false);
        }
        else if (field.Field.StartsWith(ClientClassifier, StringComparison.Ordinal) && client is { } c)
        {
            await unit.GetAsync(Kinds.Client, c.Value, cancellationToken).ConfigureAwait(false);
            await unit.RecordAsync(new ClientClassifierSet(c, field.Field[ClientClassifier.Length..], field.Value), cause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<UserId> StageManagerAsync(UnitOfWork unit, Deal deal, string? stageId, CancellationToken cancellationToken)
    {
        var pipeline = await DealOperations.PipelineOfAsync(unit, deal.Pipeline, cancellationToken).ConfigureAwait(false);
        var stage = DealOperations.StageOf(pipeline, stageId is null ? deal.Stage : new StageId(stageId));
        return stage.Manager ?? throw new InvalidStateException(
            $"Stage '{stage.Id}' of pipeline '{pipeline.Id}' has no designated manager; set StageDefinition.Manager or assign another way.");
    }

    private static async ValueTask<UserId> RecipientAsync(UnitOfWork unit, Deal deal, Recipient recipient, AutomationSite site, CancellationToken cancellationToken) =>
        recipient.Kind switch
        {
            RecipientKind.DealOwner => deal.Owner,
            RecipientKind.OwnerHead when site == AutomationSite.Goal => await DealOperations.HeadOfAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false),
            RecipientKind.OwnerHead => await RuleEngine.HeadOrOwnerAsync(unit, deal.Owner, cancellationToken).ConfigureAwait(false) ?? deal.Owner,
            RecipientKind.User when recipient.Name is not null => new UserId(recipient.Name),
            _ => throw new CrmValidationException("to", $"'{recipient}' cannot receive a task or notification about a deal; use dealOwner, ownerHead or user:<id>."),
        };

    /// <summary>Fills <c>{deal}</c>, <c>{title}</c>, <c>{amount}</c> and <c>{owner}</c>.</summary>
    public static string Fill(string text, Deal deal) => text
        .Replace("{deal}", deal.Id.Value, StringComparison.Ordinal)
        .Replace("{title}", deal.Title ?? deal.Id.Value, StringComparison.Ordinal)
        .Replace("{amount}", deal.Amount.ToString(), StringComparison.Ordinal)
        .Replace("{owner}", deal.Owner.Value, StringComparison.Ordinal);
}
