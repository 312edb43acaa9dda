using Crm.Methodology.Dealer;
using Crm.Methodology.Saas;
using Crm.Methodology.Spin;
using Crm.Methodology.Tenders;
using PublicApiGenerator;
using Snapshooter.Xunit;
using Xunit;

namespace Crm.Methodologies.Tests;

/// <summary>Every change to a methodology package's public surface shows in review as a snapshot diff (issue 19, point 6).</summary>
public sealed class PublicApiTests
{
    private static readonly ApiGeneratorOptions Options = new() { IncludeAssemblyAttributes = false };

    [Fact]
    public void Crm_Methodology_Dealer_public_api() => typeof(DealerPlugin).Assembly.GeneratePublicApi(Options).MatchSnapshot();

    [Fact]
    public void Crm_Methodology_Saas_public_api() => typeof(SaasPlugin).Assembly.GeneratePublicApi(Options).MatchSnapshot();

    [Fact]
    public void Crm_Methodology_Spin_public_api() => typeof(SpinPlugin).Assembly.GeneratePublicApi(Options).MatchSnapshot();

    [Fact]
    public void Crm_Methodology_Tenders_public_api() => typeof(TendersPlugin).Assembly.GeneratePublicApi(Options).MatchSnapshot();
}
