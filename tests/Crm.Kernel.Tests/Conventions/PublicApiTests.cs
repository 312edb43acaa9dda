using PublicApiGenerator;
using Snapshooter.Xunit;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

/// <summary>Every change to a package's public surface shows in review as a snapshot diff.</summary>
public sealed class PublicApiTests
{
    private static readonly ApiGeneratorOptions Options = new() { IncludeAssemblyAttributes = false };

    [Fact]
    public void Crm_Abstractions_public_api() =>
        typeof(Crm.Abstractions.Money).Assembly.GeneratePublicApi(Options).MatchSnapshot();

    [Fact]
    public void Crm_Kernel_public_api() =>
        typeof(Crm.Kernel.Hosting.CrmKernel).Assembly.GeneratePublicApi(Options).MatchSnapshot();
}
