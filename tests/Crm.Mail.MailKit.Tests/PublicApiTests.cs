using PublicApiGenerator;
using Snapshooter.Xunit;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

/// <summary>Every change to the package's public surface shows in review as a snapshot diff.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Crm_Mail_MailKit_public_api() =>
        typeof(MailKitMailSender).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).MatchSnapshot();
}
