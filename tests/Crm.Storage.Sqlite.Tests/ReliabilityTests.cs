using System.Diagnostics;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>
/// Issue 18, R1 and two processes: the kernel in real child processes (tests/Crm.Reliability) on the file this test
/// process also uses, and the bounded version of the kill run (the long one is the tool's <c>--kills 200</c>).
/// </summary>
public sealed class ReliabilityTests : IDisposable
{
    private static readonly TenantId Tenant = new("r1"); // the harness's tenant, user and pipeline
    private static readonly UserId Admin = new("admin");
    private static readonly PipelineId Sales = new("sales");
    private readonly TempDirectory _directory = new();

    private static string Harness => Path.Combine(AppContext.BaseDirectory, "Crm.Reliability.dll");

    private static async Task<(int ExitCode, string Output)> RunHarnessAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Harness);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The harness did not finish within {timeout}: {string.Join(' ', arguments)}");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>
    /// Guards the two-process case with a real second process: before the fix, this process's commit after the other
    /// process's commands failed with UNIQUE constraint failed: journal.id.
    /// </summary>
    [Fact]
    public async Task Issue18_a_second_process_writes_between_this_processes_commands()
    {
        var path = _directory.File("shared.db");
        await using var provider = new ServiceCollection()
            .AddSingleton<IClock>(new FakeClock(Instant.FromUtc(2026, 3, 2, 9, 0)))
            .AddCrmKernel(crm => crm.UseSqlite($"Data Source={path}"))
            .Services.BuildServiceProvider();
        var kernel = provider.GetRequiredService<CrmKernel>();
        await kernel.InitializeTenantAsync(Tenant, Admin, "Ada");
        var session = kernel.OpenSession(Tenant, Admin);
        await session.Pipelines.DefineAsync(new PipelineDefinition(Sales, "Sales", [new StageDefinition(new StageId("lead"), "Lead"), new StageDefinition(new StageId("won"), "Won", StageKind.Won)]));
        var client = await session.Clients.RegisterAsync(new NewClient("Here"));
        var before = await session.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(1m, "NOK")));

        var (exitCode, output) = await RunHarnessAsync(TimeSpan.FromMinutes(3), "worker", "--db", path, "--id", "other", "--commands", "8");
        Assert.True(exitCode == 0, output);
        Assert.Equal(8 * 5, output.Split('\n').Count(l => l.StartsWith("ACK ", StringComparison.Ordinal)));

        var after = await session.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(2m, "NOK")));
        await session.Deals.SetFieldAsync(before.Id, "n", "1");
        Assert.Equal(2 + 8, (await session.Deals.ListAsync()).Count);
        Assert.NotEqual(before.Id, after.Id);
        var verification = await kernel.VerifyJournalAsync(Tenant);
        Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
    }

    /// <summary>R1, bounded: a few SIGKILLs of one worker, of one taking backups, and of two on one file, each checked.</summary>
    [Fact]
    public async Task Issue18_R1_workers_killed_with_SIGKILL_lose_no_acknowledged_command()
    {
        var (exitCode, output) = await RunHarnessAsync(TimeSpan.FromMinutes(4), "--kills", "4", "--seed", "18", "--max-kill-ms", "1000", "--dir", _directory.File("r1"));
        var summary = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'))).RootElement;
        Assert.True(exitCode == 0 && summary.GetProperty("Ok").GetBoolean(), output);
        Assert.Equal(4, summary.GetProperty("Rounds").GetInt32());
        Assert.Equal(5, summary.GetProperty("Kills").GetInt32());
        Assert.True(summary.GetProperty("CommandsAcknowledged").GetInt64() > 0, output);
        Assert.Equal(0, summary.GetProperty("Lost").GetInt64());
        Assert.Equal(0, summary.GetProperty("TimerEffectsDoubled").GetInt64());
    }

    public void Dispose() => _directory.Dispose();
}
