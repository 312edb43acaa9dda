using Crm.Kernel.Hosting;
using Crm.Storage.Conformance;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>Issue 18, R2 on SQLite: the two hosts are two stores on one file.</summary>
public sealed class EightWritersTests(Xunit.Abstractions.ITestOutputHelper output) : EightWritersConformanceTests(output), IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override ServiceProvider Host() => new ServiceCollection()
        .AddSingleton<IClock>(new FakeClock(Instant.FromUtc(2026, 3, 2, 9, 0)))
        .AddCrmKernel(crm => crm.UseSqlite($"Data Source={_directory.File("crm.db")}"))
        .Services.BuildServiceProvider();

    public void Dispose() => _directory.Dispose();
}
