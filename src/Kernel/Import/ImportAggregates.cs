using Crm.Abstractions.Events;
using Crm.Kernel.Import;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Import's kinds: sales targets.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Crm.Kernel.Import.Target> Target = new("target", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Import
{
    /// <summary>The streams of sales targets.</summary>
    internal sealed class ImportAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Target)
                .On<TargetSet>(e => SessionImport.TargetKey(e.Owner, e.Start), (s, e, in ctx) => new Target { Owner = e.Owner, Start = e.Start, End = e.End, Amount = e.Target });
    }
}
