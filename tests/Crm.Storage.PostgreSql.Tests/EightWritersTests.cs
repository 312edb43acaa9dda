using Crm.Kernel.Hosting;
using Crm.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>
/// Issue 18, R2 on PostgreSQL: the two hosts are separate service providers, stores and connection pools, as two
/// application servers on one database.
/// </summary>
public sealed class EightWritersTests(PostgresDatabase database, Xunit.Abstractions.ITestOutputHelper output)
    : EightWritersConformanceTests(output), IClassFixture<PostgresDatabase>
{
    protected override ServiceProvider Host() => new ServiceCollection()
        .AddSingleton<IClock>(new FakeClock(Instant.FromUtc(2026, 3, 2, 9, 0)))
        .AddCrmKernel(crm => crm.UsePostgreSql(database.ConnectionString, o => o.Schema = "r2"))
        .Services.BuildServiceProvider();
}
