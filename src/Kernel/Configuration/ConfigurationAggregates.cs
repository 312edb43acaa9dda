using Crm.Abstractions.Events;
using Crm.Kernel.Configuration;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Configuration's kinds: a tenant's own settings (one document keeping every version).</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<TenantSettings> TenantSettings = new("tenant-settings", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Configuration
{
    /// <summary>The stream of a tenant's settings.</summary>
    internal sealed class ConfigurationAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.TenantSettings)
                .On<TenantSettingDefined>(_ => TenantSettings.StreamId, (s, e, in ctx) => TenantSettings.Apply(s, e, ctx.OccurredAt));
    }
}
