using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Pipelines;

/// <summary>Pipelines (funnel profiles) with their stages and goals. Administrators define them; everyone reads them.</summary>
public sealed class SessionPipelines
{
    private readonly CrmSession _session;

    internal SessionPipelines(CrmSession session) => _session = session;

    /// <summary>Defines a pipeline, or redefines it (deals keep their stage; a removed stage must be empty).</summary>
    /// <exception cref="CrmValidationException">The definition is inconsistent; every problem is listed with its path.</exception>
    /// <exception cref="AccessDeniedException">The user is not an administrator.</exception>
    /// <returns>The stored definition.</returns>
    public async Task<PipelineDefinition> DefineAsync(PipelineDefinition definition, CancellationToken cancellationToken = default)
    {
        PipelineValidation.Validate(definition);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("define pipelines");
        await DefineInAsync(unit, definition, _session.Parts.Processes.HasHandler, Cause.Manual, onlyIfChanged: false, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Pipeline, definition.Id.Value).Definition;
    }

    /// <summary>
    /// Records a (re)definition of a validated pipeline in <paramref name="unit"/>: a removed stage must be empty and stage
    /// managers must exist, and a goal's plug-in action must name a loaded handler (<paramref name="hasHandler"/>). With
    /// <paramref name="onlyIfChanged"/>, an identical stored definition records nothing.
    /// </summary>
    /// <returns>True when an event was recorded.</returns>
    internal static async ValueTask<bool> DefineInAsync(UnitOfWork unit, PipelineDefinition definition, Func<string, bool> hasHandler, Cause cause, bool onlyIfChanged, CancellationToken cancellationToken)
    {
        Crm.Kernel.Automation.AutomationReferences.RequireHandlers(definition, hasHandler);
        if (await unit.FindAsync(Kinds.Pipeline, definition.Id.Value, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (onlyIfChanged && CrmJson.Serialize(existing.Definition) == CrmJson.Serialize(definition))
            {
                return false;
            }

            var kept = definition.Stages.Select(s => s.Id).ToHashSet();
            foreach (var removed in existing.Definition.Stages.Where(s => !kept.Contains(s.Id)))
            {
                await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Deal.Name, new("pipeline", definition.Id.Value), cancellationToken).ConfigureAwait(false))
                {
                    if (((Deals.Deal)Kinds.Deal.Read(document)).Stage == removed.Id)
                    {
                        throw new CrmValidationException("stages", $"stage '{removed.Id}' still holds deals (e.g. '{document.Id}'); move them before removing the stage.");
                    }
                }
            }
        }

        foreach (var stage in definition.Stages)
        {
            if (stage.Manager is { } manager && await unit.FindAsync(Kinds.User, manager.Value, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new CrmValidationException($"stages[{stage.Id}].manager", $"user '{manager}' does not exist.");
            }
        }

        await unit.RecordAsync(new PipelineDefined(definition), cause, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Gets a pipeline's definition.</summary>
    /// <exception cref="EntityNotFoundException">No such pipeline.</exception>
    public async Task<PipelineDefinition> GetAsync(PipelineId id, CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return (await unit.GetAsync(Kinds.Pipeline, id.Value, cancellationToken).ConfigureAwait(false)).Definition;
    }

    /// <summary>Lists the tenant's pipelines in id order.</summary>
    public async Task<IReadOnlyList<PipelineDefinition>> ListAsync(CancellationToken cancellationToken = default)
    {
        var (unit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<PipelineDefinition>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Pipeline.Name, null, cancellationToken).ConfigureAwait(false))
        {
            result.Add(((StoredPipeline)Kinds.Pipeline.Read(document)).Definition);
        }

        return result;
    }
}
