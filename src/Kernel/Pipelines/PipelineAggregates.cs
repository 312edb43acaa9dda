using Crm.Abstractions.Events;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Pipelines' kinds: the tenant's pipeline definitions.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<StoredPipeline> Pipeline = new("pipeline", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Pipelines
{
    /// <summary>The streams of pipeline definitions.</summary>
    internal sealed class PipelineAggregates : AggregateRegistration
    {
        /// <summary>Goal reactions are stored in the one automation shape; pipelines journaled in an old shape are upcast on read.</summary>
        public override void AddJsonConverters(IList<System.Text.Json.Serialization.JsonConverter> converters) =>
            Crm.Kernel.Automation.AutomationJson.AddStoredConverters(converters);

        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Pipeline)
                .On<PipelineDefined>(e => e.Definition.Id.Value, (s, e, in ctx) => new StoredPipeline
                {
                    Definition = e.Definition,
                    Revision = s is { } p ? p.Revision + 1 : 1,
                });
    }
}
