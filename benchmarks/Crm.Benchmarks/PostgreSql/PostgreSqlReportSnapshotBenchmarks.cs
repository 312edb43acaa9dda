using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// Loading the report snapshot (<c>session.Reports.SnapshotAsync</c>) from PostgreSQL for <see cref="Deals"/> deals with
/// 5 stage transitions each, against the raw floor: a forward-only Npgsql reader over the same rows that only touches
/// each JSON string. The deals are clones (made server-side) of one deal moved through 6 stages by the kernel.
/// The peak working set of each benchmark process is printed at the end of its log.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PostgreSqlReportSnapshotBenchmarks
{
    private static readonly StageId[] Stages = [new("s1"), new("s2"), new("s3"), new("s4"), new("s5"), new("s6")];
    private string _database = null!;
    private ServiceProvider _host = null!;
    private CrmKernel _kernel = null!;
    private NpgsqlDataSource _raw = null!;

    [Params(1_000_000)]
    public int Deals { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _database = PostgresBench.CreateDatabase();
        _host = PostgresBench.Host(_database);
        _kernel = _host.GetRequiredService<CrmKernel>();
        await _kernel.InitializeTenantAsync(BenchKernel.Tenant, new UserId("admin"), "Admin");
        var admin = _kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        await admin.Organization.RegisterUserAsync(new NewUser(BenchKernel.Seller, "Seller"));
        await admin.Pipelines.DefineAsync(new PipelineDefinition(BenchKernel.Pipeline, "Sales",
            [.. Stages.Select(s => new StageDefinition(s, s.Value)), new StageDefinition(new StageId("won"), "Won", StageKind.Won)]));
        var client = await admin.Clients.RegisterAsync(new NewClient("Bench AS") { Region = "East", Industry = "Retail" });
        var template = await admin.Deals.OpenAsync(new NewDeal(client.Id, BenchKernel.Pipeline, Money.Of(1000m, "USD")) { Id = new DealId("tmpl-0000000"), Owner = BenchKernel.Seller });
        foreach (var stage in Stages.Skip(1))
        {
            await admin.Deals.MoveAsync(template.Id, stage);
        }

        _raw = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_database) { SearchPath = "crm", CommandTimeout = 600 }.ConnectionString);
        await using var clone = _raw.CreateCommand("""
            INSERT INTO documents(tenant, kind, id, version, json)
            SELECT d.tenant, d.kind, 'x' || lpad(g::text, 7, '0'), d.version, replace(d.json, 'tmpl-0000000', 'x' || lpad(g::text, 7, '0'))
            FROM documents d, generate_series(1, $1 - 1) g WHERE d.kind = 'deal' AND d.id = 'tmpl-0000000'
            """);
        clone.Parameters.Add(new NpgsqlParameter { Value = Deals });
        await clone.ExecuteNonQueryAsync();
        await using var analyze = _raw.CreateCommand("ANALYZE documents");
        await analyze.ExecuteNonQueryAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MB");
        _raw.Dispose();
        _host.Dispose();
        PostgresBench.DropDatabase(_database);
    }

    [Benchmark(Baseline = true)]
    public async Task<long> Raw_forward_only_reader_over_the_deal_rows()
    {
        await using var command = _raw.CreateCommand("SELECT id, version, json FROM documents WHERE tenant=$1 AND kind='deal' ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = BenchKernel.Tenant.Value });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess);
        long chars = 0;
        while (await reader.ReadAsync())
        {
            _ = reader.GetString(0);
            _ = reader.GetInt64(1);
            chars += reader.GetString(2).Length;
        }

        return chars;
    }

    /// <summary>
    /// What pushing the snapshot down would cost at best without a projection table: the server parses each deal's JSON
    /// (the column is text) and sends only the snapshot's columns, instants as Unix seconds, the stage history as arrays.
    /// An experiment for the README (is it worth building?), not a code path of the kernel.
    /// </summary>
    [Benchmark]
    public async Task<long> Server_side_projection_of_the_snapshot_columns()
    {
        await using var command = _raw.CreateCommand("""
            SELECT id, j->>'client', j->>'owner', (j->'amount'->>'amount')::numeric, j->>'status',
                extract(epoch FROM (j->>'openedAt')::timestamptz)::bigint,
                ARRAY(SELECT v->>'stage' FROM jsonb_array_elements(j->'history') v),
                ARRAY(SELECT extract(epoch FROM (v->>'enteredAt')::timestamptz)::bigint FROM jsonb_array_elements(j->'history') v)
            FROM (SELECT id, json::jsonb AS j FROM documents WHERE tenant=$1 AND kind='deal') d ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = BenchKernel.Tenant.Value });
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess);
        long stays = 0;
        var deals = 0;
        while (await reader.ReadAsync())
        {
            _ = reader.GetString(0);
            _ = reader.GetString(1);
            _ = reader.GetString(2);
            _ = reader.GetDecimal(3);
            _ = reader.GetString(4);
            _ = reader.GetInt64(5);
            stays += reader.GetFieldValue<string[]>(6).Length;
            _ = reader.GetFieldValue<long[]>(7);
            deals++;
        }

        if (deals != Deals || stays != (long)Deals * Stages.Length)
        {
            throw new InvalidOperationException($"projection has {deals} deals and {stays} stays");
        }

        return stays;
    }

    [Benchmark]
    public async Task<int> Kernel_report_snapshot()
    {
        var data = await _kernel.OpenSession(BenchKernel.Tenant, new UserId("admin")).Reports.GetSnapshotAsync();
        if (data.DealCount != Deals || data.StayCount != Deals * Stages.Length)
        {
            throw new InvalidOperationException($"snapshot has {data.DealCount} deals and {data.StayCount} stays");
        }

        return data.StayCount;
    }
}
