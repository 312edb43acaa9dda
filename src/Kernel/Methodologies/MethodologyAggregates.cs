using Crm.Abstractions.Events;
using Crm.Kernel.Methodologies;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Methodologies' kinds: the methodologies installed into the tenant.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<InstalledMethodology> Methodology = new("methodology", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Methodologies
{
    /// <summary>The streams of installed methodologies.</summary>
    internal sealed class MethodologyAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Methodology)
                .On<MethodologyInstalled>(e => e.Methodology, (s, e, in ctx) => new InstalledMethodology
                {
                    Id = e.Methodology, Name = e.Name, Pipelines = e.Pipelines, Rules = e.Rules, ProcessTemplates = e.ProcessTemplates,
                    Classifiers = e.Classifiers, ReportPresets = e.ReportPresets, InstalledAt = ctx.OccurredAt,
                    Installations = s is { } m ? m.Installations + 1 : 1,
                });
    }
}
