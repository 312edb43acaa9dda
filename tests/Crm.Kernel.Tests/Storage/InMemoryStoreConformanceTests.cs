using Crm.Abstractions.Storage;
using Crm.Kernel.Storage;
using Crm.Storage.Conformance;

namespace Crm.Kernel.Tests.Storage;

/// <summary>The in-memory test double passes the same conformance suite as the real stores.</summary>
public sealed class InMemoryStoreConformanceTests : StoreConformanceTests
{
    protected override Task<ICrmStore> CreateStoreAsync() => Task.FromResult<ICrmStore>(new InMemoryCrmStore());
}
