using BenchmarkDotNet.Attributes;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// Where the grouped deal command's time goes (issue 3): the whole <c>Deals.SetFieldAsync</c> ×100 at once (baseline)
/// beside its parts run alone on the same store — the store's point reads a command makes (user, deal, rule book),
/// the JSON work (read user and deal, write deal and event), and the store's group commit of 100 prebuilt commits of
/// what the command writes (the deal document and one journal row). Per command; WAL, synchronous=FULL.
/// </summary>
[MemoryDiagnoser]
public class SqliteDealCommandBreakdownBenchmarks
{
    private const int Commands = 100;
    private string _dir = null!;
    private BenchKernel _kernel = null!;
    private IReadOnlyList<DealId> _deals = null!;
    private Dictionary<string, StoredDocument> _documents = null!;
    private StoredDocument _user = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crm-bench-").FullName;
        _kernel = BenchKernel.Open(Path.Combine(_dir, "kernel.db"));
        _deals = _kernel.SeedAsync(Commands).GetAwaiter().GetResult();
        // One command first, so every deal document has the field and the shape the measured commands write.
        Kernel_SetField_100_at_once().GetAwaiter().GetResult();
        _documents = _deals.ToDictionary(d => d.Value, d => _kernel.Store.LoadAsync(BenchKernel.Tenant, "deal", d.Value).AsTask().GetAwaiter().GetResult()!);
        _user = _kernel.Store.LoadAsync(BenchKernel.Tenant, "user", BenchKernel.Seller.Value).AsTask().GetAwaiter().GetResult()!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Commands)]
    public async Task Kernel_SetField_100_at_once()
    {
        var session = _kernel.Kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var value = (++_round).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Task.WhenAll(_deals.Select(deal => session.Deals.SetFieldAsync(deal, "note", value)));
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    public async Task<long> Store_reads_of_100_commands()
    {
        long versions = 0;
        foreach (var deal in _deals)
        {
            versions += (await _kernel.Store.LoadAsync(BenchKernel.Tenant, "user", BenchKernel.Seller.Value))!.Version;
            versions += (await _kernel.Store.LoadAsync(BenchKernel.Tenant, "deal", deal.Value))!.Version;
            versions += (await _kernel.Store.LoadAsync(BenchKernel.Tenant, Kinds.RuleBook.Name, Kinds.RuleBookId))?.Version ?? 0;
        }

        return versions;
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    public int Json_of_100_commands()
    {
        var length = 0;
        foreach (var deal in _deals)
        {
            var user = (CrmUser)Kinds.User.Read(_user);
            var state = (Deal)Kinds.Deal.Read(_documents[deal.Value]);
            length += Kinds.Deal.Write(state).Length + user.Id.Value.Length;
            length += EventTypeRegistry.Serialize(new DealFieldSet(deal, "note", "x")).Length;
            length += Kinds.Deal.Indexes(state).Count * 2;
        }

        return length;
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    public async Task Store_group_commit_of_100_commands()
    {
        var now = SystemClock.Instance.GetCurrentInstant();
        var commits = new Task<CommitResult>[Commands];
        for (var c = 0; c < Commands; c++)
        {
            var document = _documents[_deals[c].Value];
            var commit = new StoreCommit(BenchKernel.Tenant, Guid.NewGuid(), now)
            {
                Documents = [new DocumentWrite("deal", document.Id, document.Version, document.Json, Kinds.Deal.Indexes(Kinds.Deal.Read(document))) { IndexesChanged = false }],
                Events = [new JournalAppend(Guid.NewGuid(), "deal", document.Id, nameof(DealFieldSet), "{\"deal\":\"" + document.Id + "\",\"name\":\"note\",\"value\":\"1\"}", now, BenchKernel.Seller.Value, Cause.Manual)],
            };
            commits[c] = _kernel.Store.CommitAsync(commit).AsTask();
            _documents[document.Id] = document with { Version = document.Version + 1 };
        }

        await Task.WhenAll(commits);
    }
}
