using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Security's kinds: the tenant's permission sets.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<PermissionSet> PermissionSet = new("permission-set", (s, v) => s with { Version = v }, _ => []);
    }
}

namespace Crm.Kernel.Security
{
    /// <summary>The streams of permission sets, a user's assigned set and the caller cards shown.</summary>
    internal sealed class SecurityAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.PermissionSet)
                .On<PermissionSetDefined>(e => e.Set, (s, e, in ctx) => new PermissionSet { Id = e.Set, Name = e.Name, Permissions = e.Permissions });

            registry.Stream(Kinds.User)
                .OnExisting<UserPermissionSetAssigned>(e => e.User.Value, (s, e, in ctx) => s with { PermissionSet = e.Set });

            registry.JournalOnly<CallerCardShown>("call", e => e.Call);
        }
    }
}
