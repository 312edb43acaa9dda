using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Import;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Kernel.Tests.Import;

/// <summary>A small valid export (two teams, three clients, three deals, targets) that tests spoil one cell at a time.</summary>
internal sealed class CsvImportFiles
{
    public const string SellersHeader = "seller_id,name,role,team,head,office,time_zone";
    public const string ClientsHeader = "client_id,name,kind,region,city,industry,phone,email,registered_at,duplicate_of";
    public const string DealsHeader = "deal_id,client_id,owner_id,source,amount,currency,opened_at,closed_at,outcome,stage";
    public const string HistoryHeader = "deal_id,stage,entered_at,left_at";
    public const string TargetsHeader = "seller_id,period_start,period_end,currency,revenue_target";

    public static readonly PipelineId Pipeline = new("sales");

    public List<string> Sellers { get; } =
    [
        SellersHeader,
        "H1,Hanne Berg,head,North team,,North,Europe/Oslo",
        "U1,Ada Holm,seller,North team,Hanne Berg,North,Europe/Oslo",
        "H2,Sven Lund,head,South team,,South,Europe/Stockholm",
        "U2,Bo Lind,seller,South team,Sven Lund,South,",
    ];

    public List<string> Clients { get; } =
    [
        ClientsHeader,
        "C1,Fjord AS,company,North,Oslo,Retail,+4740007919,a@fjord.no,2025-01-09T06:14:09Z,",
        "C2,Bygg AB,company,South,Malmo,Construction,+4740007920,c@bygg.se,2025-01-10T06:14:09Z,",
        "C3,Per Olsen,person,North,Bergen,Software,+4740007921,per@olsen.no,2025-01-11T06:14:09Z,",
    ];

    public List<string> Deals { get; } =
    [
        DealsHeader,
        "D1,C1,U1,Call,100.00,USD,2025-03-04T00:00:00Z,2025-03-05T00:00:00Z,won,Won",
        "D2,C2,U2,Call,50.00,USD,2025-03-04T00:00:00Z,,open,Lead",
        "D3,C3,U1,Web,75.50,USD,2025-03-06T00:00:00Z,2025-03-09T00:00:00Z,lost,Lost",
    ];

    public List<string> History { get; } =
    [
        HistoryHeader,
        "D1,Lead,2025-03-04T00:00:00Z,2025-03-05T00:00:00Z",
        "D1,Won,2025-03-05T00:00:00Z,",
        "D2,Lead,2025-03-04T00:00:00Z,",
        "D3,Lead,2025-03-06T00:00:00Z,2025-03-07T00:00:00Z",
        "D3,Qualified,2025-03-07T00:00:00Z,2025-03-09T00:00:00Z",
        "D3,Lost,2025-03-09T00:00:00Z,",
    ];

    public List<string>? Targets { get; set; } =
    [
        TargetsHeader,
        "U1,2025-01-01,2025-03-31,USD,1000.00",
        "U2,2025-01-01,2025-03-31,USD,2000.00",
    ];

    public void WriteTo(string folder)
    {
        Write(folder, "sellers.csv", Sellers);
        Write(folder, "clients.csv", Clients);
        Write(folder, "deals.csv", Deals);
        Write(folder, "stage_history.csv", History);
        Write(folder, "targets.csv", Targets);
    }

    public static PipelineDefinition SalesPipeline(string qualifiedId = "qualified") => new(Pipeline, "Sales",
    [
        new StageDefinition(new StageId("lead"), "Lead"),
        new StageDefinition(new StageId(qualifiedId), "Qualified"),
        new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost),
    ]);

    /// <summary>A kernel in memory with an administrator and the sales pipeline.</summary>
    public static async Task<TestKernel> KernelAsync(PipelineDefinition? pipeline = null)
    {
        var k = TestKernel.Create();
        await SetUpAsync(k, pipeline);
        return k;
    }

    /// <summary>The same on a SQLite file in <paramref name="folder"/>; dispose the provider after the kernel.</summary>
    public static async Task<(ServiceProvider Provider, TestKernel Kernel)> SqliteKernelAsync(string folder)
    {
        var clock = new FakeClock(TestKernel.Start);
        var provider = new ServiceCollection()
            .AddSingleton<IClock>(clock)
            .AddCrmKernel(crm => crm.UseSqlite($"Data Source={Path.Combine(folder, "crm.db")}").Configure(o => o.DefaultPhoneRegion = "NO"))
            .Services.BuildServiceProvider();
        var k = TestKernel.Wrap(provider.GetRequiredService<CrmKernel>(), clock);
        await SetUpAsync(k, null);
        return (provider, k);
    }

    private static async Task SetUpAsync(TestKernel k, PipelineDefinition? pipeline)
    {
        await k.Kernel.InitializeTenantAsync(k.Tenant, TestKernel.Admin, "Admin");
        await k.Session(TestKernel.Admin).Pipelines.DefineAsync(pipeline ?? SalesPipeline());
    }

    /// <summary>What an import could change: the journal's length and head, and the users, clients, deals and targets.</summary>
    public static async Task<(int Journal, long Head, int Users, int Clients, int Deals)> StateAsync(TestKernel k)
    {
        var admin = k.Session(TestKernel.Admin);
        var count = 0;
        long head = 0;
        while (true)
        {
            var page = await admin.Journal.ListAsync(head, 1000);
            if (page.Count == 0)
            {
                break;
            }

            count += page.Count;
            head = page[^1].Position;
        }

        return (count, head, (await admin.Organization.ListUsersAsync()).Count, (await admin.Clients.ListAsync()).Count, (await admin.Deals.ListAsync()).Count);
    }

    public static Task<CsvImportResult> ImportAsync(TestKernel k, string folder, bool skipBadRows = false, string? timeZone = null, bool mergeDuplicates = true) =>
        SalesCsvImport.ImportAsync(k.Session(TestKernel.Admin), folder, new CsvImportOptions
        {
            Pipeline = Pipeline,
            SkipBadRows = skipBadRows,
            TimeZone = timeZone,
            MergeDuplicates = mergeDuplicates,
        });

    private static void Write(string folder, string file, List<string>? lines)
    {
        var path = Path.Combine(folder, file);
        if (lines is null)
        {
            File.Delete(path);
        }
        else
        {
            // Lone surrogates (fuzzing) are written as U+FFFD, as a UTF-8 export would have them.
            File.WriteAllText(path, string.Join("\n", lines) + "\n", new System.Text.UTF8Encoding(false));
        }
    }
}
