using Crm.Abstractions;
using Crm.Kernel.Security;

namespace Crm.Kernel.Hosting;

/// <summary>Opens sessions over the unit-of-work context and the shared parts (the kernel and telephony intake use it).</summary>
internal sealed class SessionFactory(KernelContext context, KernelParts parts)
{
    public KernelParts Parts { get; } = parts;

    public CrmSession Open(TenantId tenant, UserId user) => new(context, Parts, tenant, user);
}
