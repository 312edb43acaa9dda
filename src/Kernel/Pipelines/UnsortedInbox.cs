using Crm.Abstractions;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Pipelines;

/// <summary>Where deals the kernel creates by itself land (unknown callers, website orders), and who holds them by default.</summary>
internal static class UnsortedInbox
{
    /// <summary>
    /// The first pipeline (in id order) with an "Unsorted" stage, and that stage; when no pipeline has one, the first
    /// open stage of the first pipeline, so that a caller or an order is never lost for want of an inbox.
    /// </summary>
    /// <exception cref="InvalidStateException">The tenant has no pipeline with an open stage.</exception>
    public static async ValueTask<(PipelineDefinition Pipeline, StageDefinition Stage)> FindAsync(UnitOfWork unit, string purpose, CancellationToken cancellationToken)
    {
        (PipelineDefinition, StageDefinition)? fallback = null;
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Pipeline.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var pipeline = ((StoredPipeline)Kinds.Pipeline.Read(document)).Definition;
            if (pipeline.Stages.FirstOrDefault(s => s.IsUnsorted) is { } stage)
            {
                return (pipeline, stage);
            }

            if (fallback is null && pipeline.Stages.FirstOrDefault(s => s.Kind == StageKind.Open) is { } open)
            {
                fallback = (pipeline, open);
            }
        }

        return fallback ?? throw new InvalidStateException($"No pipeline has an open stage for {purpose}; define a pipeline (ideally with a stage marked IsUnsorted = true).");
    }

    /// <summary>The first active administrator (in id order): the owner of last resort.</summary>
    /// <exception cref="InvalidStateException">The tenant has none.</exception>
    public static async ValueTask<UserId> AdministratorAsync(UnitOfWork unit, string purpose, CancellationToken cancellationToken)
    {
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.User.Name, null, cancellationToken).ConfigureAwait(false))
        {
            var user = (CrmUser)Kinds.User.Read(document);
            if (user is { IsActive: true, Role: CrmRole.Admin })
            {
                return user.Id;
            }
        }

        throw new InvalidStateException($"The tenant has no active administrator to give {purpose} to.");
    }
}
