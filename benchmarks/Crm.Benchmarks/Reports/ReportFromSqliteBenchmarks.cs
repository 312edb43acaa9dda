using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Organization;
using Crm.Kernel.Reports;
using Crm.Kernel.Storage;
using Crm.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Benchmarks.Reports;

/// <summary>
/// End to end from the SQLite store: an administrator's <c>Reports.SnapshotAsync</c> over 1,000,000 deals with 5,000,000
/// stage stays (read and deserialise every deal document, fill the columns) followed by the four calculators, against
/// a bare read of the same deal documents' JSON with a plain SQLite reader (baseline: what the load cannot go below with
/// deals stored as JSON documents). The database is generated once (store documents written directly in one
/// transaction) and cached under <c>BenchmarkDotNet.Artifacts/data</c>; the setup checks the reports equal the
/// in-memory snapshot's. Each benchmark runs in its own process: the cleanup prints that process's peak working set.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class ReportFromSqliteBenchmarks
{
    private const int Deals = 1_000_000;
    private const int Transitions = 5_000_000;
    private BenchKernel _kernel = null!;
    private string _path = null!;

    [GlobalSetup]
    public void Setup()
    {
        _path = EnsureDatabase();
        _kernel = BenchKernel.Open(_path, SqliteSynchronous.Normal);
        if (Environment.GetEnvironmentVariable("CRM_BENCH_CHECK") == "1")
        {
            // Optional (it doubles the setup's memory): the store's reports equal the in-memory snapshot's.
            var expected = Summary(new ReportDataGenerator(Deals, Transitions).Snapshot());
            var actual = Summary(KernelSnapshot());
            if (expected != actual)
            {
                throw new InvalidOperationException($"Reports from SQLite differ from the in-memory snapshot:\n{actual}\nvs\n{expected}");
            }

            Console.WriteLine("// check passed: reports from SQLite equal the in-memory snapshot's");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// peak working set: {process.PeakWorkingSet64 / (1024 * 1024)} MB");
    }

    /// <summary>Reads every deal document's JSON, touching nothing else.</summary>
    [Benchmark(Baseline = true)]
    public long ReadDealJson()
    {
        using var connection = new SqliteConnection($"Data Source={_path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, version, json FROM documents WHERE tenant=$t AND kind='deal' ORDER BY id";
        command.Parameters.AddWithValue("$t", BenchKernel.Tenant.Value);
        using var reader = command.ExecuteReader();
        long chars = 0;
        while (reader.Read())
        {
            chars += reader.GetString(0).Length + reader.GetString(2).Length + reader.GetInt64(1);
        }

        return chars;
    }

    /// <summary>The administrator's snapshot from the store, then funnel, won cycle, velocity and ABC over it.</summary>
    [Benchmark]
    public string SnapshotAndFourReports() => Summary(KernelSnapshot());

    private ReportData KernelSnapshot() =>
        _kernel.Kernel.OpenSession(BenchKernel.Tenant, new UserId("admin")).Reports.GetSnapshotAsync().GetAwaiter().GetResult();

    private static string Summary(ReportData data)
    {
        var funnel = SalesReports.Funnel(data);
        var cycle = SalesReports.WonCycle(data);
        var velocity = Forecasts.Velocity(data, "USD");
        var abc = SalesReports.Abc(data, "USD");
        return string.Join('\n',
            string.Join(' ', funnel.Stages.Select(s => $"{s.Stage}:{s.Deals}:{s.ConversionToNext}:{string.Join('+', s.Amounts)}")) + $" lost {funnel.Lost} bottleneck {funnel.Bottleneck}",
            cycle.ToString(), velocity.ToString(), $"ABC {abc.Clients.Count} {abc.A}/{abc.B}/{abc.C} first {abc.Clients.FirstOrDefault()}");
    }

    /// <summary>The cached database, generated when missing: tenant, admin, 50 sellers and the pipeline through the kernel, then clients and deals as documents in bulk.</summary>
    private static string EnsureDatabase()
    {
        var folder = Path.Combine(ArtifactsFolder(), "data");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"reports-{Deals}-{Transitions}.db");
        if (File.Exists(path))
        {
            return path;
        }

        var building = path + ".building";
        foreach (var stale in new[] { building, building + "-wal", building + "-shm" })
        {
            File.Delete(stale);
        }

        var clock = Stopwatch.StartNew();
        var generated = new ReportDataGenerator(Deals, Transitions);
        var setup = BenchKernel.Open(building, SqliteSynchronous.Normal);
        try
        {
            var kernel = setup.Kernel;
            kernel.InitializeTenantAsync(BenchKernel.Tenant, new UserId("admin"), "Admin").GetAwaiter().GetResult();
            var admin = kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
            for (var o = 0; o < ReportDataGenerator.OwnerCount; o++)
            {
                admin.Organization.RegisterUserAsync(new NewUser(new UserId(ReportDataGenerator.OwnerId(o)), $"Seller {o}")).GetAwaiter().GetResult();
            }

            admin.Pipelines.DefineAsync(ReportDataGenerator.Pipeline).GetAwaiter().GetResult();
        }
        finally
        {
            setup.DisposeAsync().AsTask().GetAwaiter().GetResult();
            SqliteConnection.ClearAllPools();
        }

        using (var connection = new SqliteConnection($"Data Source={building};Pooling=False"))
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA synchronous=OFF;";
                pragma.ExecuteNonQuery();
            }

            using var transaction = connection.BeginTransaction();
            using var document = connection.CreateCommand();
            document.CommandText = "INSERT INTO documents(tenant, kind, id, version, json) VALUES($t, $k, $i, 1, $j)";
            var (dt, dk, di, dj) = (document.Parameters.Add("$t", SqliteType.Text), document.Parameters.Add("$k", SqliteType.Text), document.Parameters.Add("$i", SqliteType.Text), document.Parameters.Add("$j", SqliteType.Text));
            using var index = connection.CreateCommand();
            index.CommandText = "INSERT OR IGNORE INTO document_index(tenant, kind, name, value, id) VALUES($t, $k, $n, $v, $i)";
            var (it, ik, iname, iv, ii) = (index.Parameters.Add("$t", SqliteType.Text), index.Parameters.Add("$k", SqliteType.Text), index.Parameters.Add("$n", SqliteType.Text), index.Parameters.Add("$v", SqliteType.Text), index.Parameters.Add("$i", SqliteType.Text));
            dt.Value = it.Value = BenchKernel.Tenant.Value;
            void Write(AggregateKind kind, string id, object state)
            {
                dk.Value = ik.Value = kind.Name;
                di.Value = ii.Value = id;
                dj.Value = kind.Write(state);
                document.ExecuteNonQuery();
                foreach (var entry in kind.Indexes(state))
                {
                    iname.Value = entry.Name;
                    iv.Value = entry.Value;
                    index.ExecuteNonQuery();
                }
            }

            for (var c = 0; c < ReportDataGenerator.ClientCount; c++)
            {
                var id = ReportDataGenerator.ClientId(c);
                Write(Kinds.Client, id, new Client
                {
                    Id = new ClientId(id), Kind = ClientKind.Company, Name = $"Client {c}", Owner = new UserId(ReportDataGenerator.OwnerId(c % ReportDataGenerator.OwnerCount)),
                    RegisteredAt = ReportDataGenerator.Registered(c),
                });
            }

            var stages = ReportDataGenerator.Pipeline.Stages;
            foreach (var deal in generated.Deals)
            {
                var owner = new UserId(ReportDataGenerator.OwnerId(deal.Owner));
                var history = new StageVisit[deal.StayCount];
                for (var j = 0; j < deal.StayCount; j++)
                {
                    var (stage, entered, left) = generated.Stay(deal, j);
                    history[j] = new StageVisit(stages[stage].Id, Instant.FromUnixTimeTicks(entered), left < 0 ? null : Instant.FromUnixTimeTicks(left), owner, Cause.Manual);
                }

                var id = ReportDataGenerator.DealId(deal.Index);
                Write(Kinds.Deal, id, new Deal
                {
                    Id = new DealId(id), Client = new ClientId(ReportDataGenerator.ClientId(deal.Client)), Pipeline = ReportDataGenerator.Pipeline.Id,
                    Stage = history[^1].Stage, Owner = owner, Amount = Money.Of(deal.Amount, deal.Euro ? "EUR" : "USD"),
                    Status = deal.Outcome switch { DealOutcome.Won => DealStatus.Won, DealOutcome.Lost => DealStatus.Lost, _ => DealStatus.Open },
                    OpenedAt = Instant.FromUnixTimeTicks(deal.Opened), ClosedAt = deal.Closed < 0 ? null : Instant.FromUnixTimeTicks(deal.Closed), History = history,
                });
            }

            transaction.Commit();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        File.Move(building, path);
        foreach (var stale in new[] { building + "-wal", building + "-shm" })
        {
            File.Delete(stale);
        }

        Console.WriteLine($"// generated {path} ({new FileInfo(path).Length / (1024 * 1024)} MB) in {clock.Elapsed.TotalSeconds:F0} s");
        return path;
    }

    /// <summary><c>benchmarks/Crm.Benchmarks/BenchmarkDotNet.Artifacts</c>, found from the running benchmark's folder (BenchmarkDotNet runs it from a generated project below bin/).</summary>
    private static string ArtifactsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crm.Benchmarks.csproj")))
            {
                return Path.Combine(dir.FullName, "BenchmarkDotNet.Artifacts");
            }
        }

        return Path.Combine(Path.GetTempPath(), "crm-benchmarks");
    }
}
