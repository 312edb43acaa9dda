using PublicApiGenerator;
using Snapshooter.Xunit;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>Every change to the package's public surface shows in review as a snapshot diff.</summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Crm_Storage_Sqlite_public_api() =>
        typeof(SqliteCrmStore).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            IncludeAssemblyAttributes = false,
            // Compiler-generated state machine names change with unrelated edits; they are not API.
            ExcludeAttributes = ["System.Runtime.CompilerServices.AsyncIteratorStateMachineAttribute"],
        }).MatchSnapshot();
}
