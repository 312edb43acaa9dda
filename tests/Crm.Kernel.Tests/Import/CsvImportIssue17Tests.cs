using Crm.Abstractions;
using Crm.Kernel.Deals;
using Crm.Kernel.Import;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Import;

/// <summary>Issue 17 §1 and §2 (CSV import): a real CRM export is imported whole, or rejected with nothing written.</summary>
public sealed class CsvImportIssue17Tests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-import17-").FullName;
    private readonly CsvImportFiles _files = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<CsvImportException> RejectedWithNothingWrittenAsync(TestKernel k)
    {
        _files.WriteTo(_folder);
        var before = await CsvImportFiles.StateAsync(k);
        var error = await Assert.ThrowsAsync<CsvImportException>(() => CsvImportFiles.ImportAsync(k, _folder));
        Assert.Equal(before, await CsvImportFiles.StateAsync(k));
        return error;
    }

    [Fact]
    public async Task The_small_export_imports_whole()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.WriteTo(_folder);

        var result = await CsvImportFiles.ImportAsync(k, _folder);

        Assert.Equal((4, 3, 3, 2), (result.Users, result.Clients, result.Deals, result.Targets));
        Assert.Empty(result.Problems);
        var deals = (await k.Session(TestKernel.Admin).Deals.ListAsync()).ToDictionary(d => d.Id.Value);
        Assert.Equal((DealStatus.Won, DealStatus.Open, DealStatus.Lost), (deals["D1"].Status, deals["D2"].Status, deals["D3"].Status));
    }

    // Guards: a single stay in a won stage was stored as an open deal sitting in the won stage (outcome report: 0 won,
    // by-stage report: 1 won). Now the row is refused, as the API cannot open a deal in a closed stage.
    [Theory]
    [InlineData("Won")]
    [InlineData("lost")]
    public async Task Issue17_a_history_that_is_a_single_won_or_lost_stay_is_refused(string stage)
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.History.RemoveAll(l => l.StartsWith("D1,", StringComparison.Ordinal));
        _files.History.Add($"D1,{stage},2025-03-05T00:00:00Z,");

        var error = await RejectedWithNothingWrittenAsync(k);
        var problem = Assert.Single(error.Problems);
        Assert.Equal(("stage_history.csv", 6, "stage"), (problem.File, problem.Line, problem.Column));
        Assert.Contains("opens in an open stage", problem.Message);

        var result = await CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true);
        Assert.Equal(2, result.Deals);
        Assert.Single(result.Problems);
        var admin = k.Session(TestKernel.Admin);
        var pipeline = await admin.Pipelines.GetAsync(CsvImportFiles.Pipeline);
        foreach (var deal in await admin.Deals.ListAsync())
        {
            // The outcome (status) and the stage kind agree for every deal, so outcome and by-stage reports agree.
            var kind = pipeline.FindStage(deal.Stage)!.Kind;
            Assert.Equal(kind switch { StageKind.Won => DealStatus.Won, StageKind.Lost => DealStatus.Lost, _ => DealStatus.Open }, deal.Status);
            Assert.Equal(kind != StageKind.Open, deal.ClosedAt is not null);
        }
    }

    // Guards the API path of the same defect: SessionImport.ImportDealAsync opened the deal in the won stage as an open deal.
    [Fact]
    public async Task Issue17_the_import_api_refuses_a_history_that_begins_won()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.WriteTo(_folder);
        await CsvImportFiles.ImportAsync(k, _folder);
        var admin = k.Session(TestKernel.Admin);

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Import.ImportDealAsync(new ImportedDeal(new DealId("D9"), new ClientId("C1"),
            CsvImportFiles.Pipeline, new UserId("U1"), Money.Of(10m, "USD"), [new ImportedStay(new StageId("won"), Instant.FromUtc(2025, 5, 1, 0, 0), null)])));

        Assert.Equal("history[0].stage", error.Errors[0].Field);
        Assert.Equal(3, (await admin.Deals.ListAsync()).Count);
    }

    // Guards: an owner missing from sellers.csv was accepted and the deal landed under no team.
    [Fact]
    public async Task Issue17_a_deal_owner_not_in_sellers_csv_is_a_bad_row()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.Deals[2] = "D2,C2,U7,Call,50.00,USD,2025-03-04T00:00:00Z,,open,Lead";

        var problem = Assert.Single((await RejectedWithNothingWrittenAsync(k)).Problems);

        Assert.Equal("deals.csv:3, column owner_id: the deal's owner 'U7' is not in sellers.csv; every deal owner and target seller must be a row there.", problem.ToString());
    }

    public static TheoryData<string, string, int, string?> RowsFoundBadOnlyWhileWriting() => new()
    {
        // name, what to spoil (file|line|new text), the problem's line and column
        { "missing client", "deals|2|D2,C9,U2,Call,50.00,USD,,,,", 3, "client_id" },
        { "team with no head", "sellers|4|U2,Bo Lind,seller,East team,,South,", 5, "team" },
        { "blank left_at on a stay that is not last", "history|4|D3,Lead,2025-03-06T00:00:00Z,", 5, "left_at" },
        { "a gap between stays", "history|4|D3,Lead,2025-03-06T00:00:00Z,2025-03-06T12:00:00Z", 5, "left_at" },
        { "deal with no stage stays", "history|3|D9,Lead,2025-03-04T00:00:00Z,", 4, "deal_id" },
        { "unknown stage", "history|3|D2,Closing,2025-03-04T00:00:00Z,", 4, "stage" },
        { "bad time zone", "sellers|2|U1,Ada Holm,seller,North team,,North,Europe/Nowhere", 3, "time_zone" },
        { "amount of 32 nines", "deals|2|D2,C2,U2,Call,99999999999999999999999999999999,USD,,,,", 3, "amount" },
        { "target of 32 nines", "targets|2|U2,2025-01-01,2025-03-31,USD,99999999999999999999999999999999", 3, "revenue_target" },
        { "target period ends before it starts", "targets|2|U2,2025-04-01,2025-03-31,USD,10", 3, "period_end" },
        { "bad currency", "deals|2|D2,C2,U2,Call,50.00,US$,,,,", 3, "currency" },
        { "two heads for one team", "sellers|3|H2,Sven Lund,head,North team,,South,", 4, "team" },
    };

    // Guards: these rows were found bad only while writing, after users, clients and deals before them were written
    // (a partial import), or threw OverflowException / ArgumentException. Now every check runs before the first write.
    [Theory]
    [MemberData(nameof(RowsFoundBadOnlyWhileWriting))]
    public async Task Issue17_a_row_found_bad_rejects_the_import_before_the_first_write_or_is_skipped_and_listed(string name, string spoil, int line, string? column)
    {
        await using var k = await CsvImportFiles.KernelAsync();
        var parts = spoil.Split('|');
        var file = parts[0] switch { "deals" => _files.Deals, "sellers" => _files.Sellers, "history" => _files.History, "clients" => _files.Clients, _ => _files.Targets! };
        file[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts[2];

        var error = await RejectedWithNothingWrittenAsync(k);
        Assert.Contains(error.Problems, p => p.Line == line && p.Column == column);

        var result = await CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true);
        Assert.NotEmpty(result.Problems);
        Assert.Equal(result.Problems.Select(p => p.ToString()), result.BadRows);
        Assert.True(result.Deals >= 1, name);
    }

    // Guards: a stage id whose case differed from the pipeline's failed while writing, after earlier rows were written.
    [Fact]
    public async Task Issue17_stage_ids_match_the_pipelines_stage_in_any_case_and_are_stored_as_its_id()
    {
        await using var k = await CsvImportFiles.KernelAsync(CsvImportFiles.SalesPipeline(qualifiedId: "Qualified"));
        _files.History[5] = "D3,QUALIFIED,2025-03-07T00:00:00Z,2025-03-09T00:00:00Z";
        _files.History[6] = "D3,lOsT,2025-03-09T00:00:00Z,";
        _files.WriteTo(_folder);

        await CsvImportFiles.ImportAsync(k, _folder);

        var deal = await k.Session(TestKernel.Admin).Deals.GetAsync(new DealId("D3"));
        Assert.Equal(["lead", "Qualified", "lost"], deal.History.Select(v => v.Stage.Value));
        Assert.Equal(DealStatus.Lost, deal.Status);
    }

    [Fact]
    public async Task Issue17_a_stage_may_be_named_by_its_display_name_and_an_unknown_one_is_a_bad_cell()
    {
        await using var k = await CsvImportFiles.KernelAsync(new PipelineDefinition(CsvImportFiles.Pipeline, "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("qualified"), "Qualified"),
            new StageDefinition(new StageId("won"), "Closed Won", StageKind.Won),
            new StageDefinition(new StageId("lost"), "Closed Lost", StageKind.Lost),
        ]));
        _files.History[2] = "D1,closed won,2025-03-05T00:00:00Z,";
        _files.History[6] = "D3,Closed,2025-03-09T00:00:00Z,";

        var problem = Assert.Single((await RejectedWithNothingWrittenAsync(k)).Problems, p => p.File == "stage_history.csv");
        Assert.Equal((7, "stage"), (problem.Line, problem.Column));

        _files.History[6] = "D3,CLOSED LOST,2025-03-09T00:00:00Z,";
        _files.WriteTo(_folder);
        await CsvImportFiles.ImportAsync(k, _folder);
        var admin = k.Session(TestKernel.Admin);
        Assert.Equal((new StageId("won"), DealStatus.Won), ((await admin.Deals.GetAsync(new DealId("D1"))).Stage, (await admin.Deals.GetAsync(new DealId("D1"))).Status));
        Assert.Equal(new StageId("lost"), (await admin.Deals.GetAsync(new DealId("D3"))).Stage);
    }

    // Guards: team cells with a tab, NBSP, NUL, nothing or over 128 characters threw ArgumentException after users were registered.
    [Theory]
    [InlineData("North\tteam")]
    [InlineData("North\u00A0team")]
    [InlineData("North\0team")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("long")]
    public async Task Issue17_a_bad_team_cell_is_a_bad_row_not_an_ArgumentException(string team)
    {
        await using var k = await CsvImportFiles.KernelAsync();
        team = team == "long" ? new string('t', 129) : team;
        _files.Sellers[3] = $"H2,Sven Lund,head,\"{team}\",,South,";

        var error = await RejectedWithNothingWrittenAsync(k);

        Assert.Contains(error.Problems, p => p is { File: "sellers.csv", Line: 4, Column: "team" });
        var result = await CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true);
        Assert.Equal((2, 2), (result.Users, result.Deals));   // the south team's head, its seller and their deal are skipped
    }

    // Guards: the message was one line per problem without limit (2.4 MB), and NodaTime's pattern text without the column.
    [Fact]
    public async Task Issue17_messages_name_file_line_column_and_expected_format_and_list_the_first_20()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        for (var i = 0; i < 30; i++)
        {
            _files.Deals.Add($"X{i},C2,U1,Call,,USD,,,,");
            _files.History.Add($"X{i},Lead,2025-03-0{i % 9 + 1}T00:00:00Z,");
        }

        _files.Clients.Add("C4,Nord AS,company,North,Oslo,Retail,,,20.10.2016,");

        var error = await RejectedWithNothingWrittenAsync(k);

        Assert.Equal(31, error.Problems.Count);
        Assert.StartsWith("clients.csv:5, column registered_at: '20.10.2016' is not a date and time such as 2016-10-20T09:00:00Z", error.Problems[0].ToString());
        Assert.StartsWith("deals.csv:5, column amount: '' is not a number", error.Problems[1].ToString());
        Assert.Equal(1 + 20 + 1, error.Message.Split('\n').Length);
        Assert.Contains("31 problems", error.Message);
        Assert.EndsWith("… and 11 more.", error.Message);
        Assert.Equal(31, error.Errors.Count);
        Assert.Equal("deals.csv:5", error.Errors[1].Field);
    }

    [Fact]
    public async Task Issue17_dates_with_or_without_time_and_offset_local_ones_in_the_zone_option()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.History.RemoveRange(1, 6);
        _files.History.AddRange(
        [
            "D1,lead,2016-10-20,2016-10-21T09:00",
            "D1,won,2016-10-21T09:00,",
            "D2,Lead,2016-10-20T09:00+02:00,",
            "D3,Lead,2016-10-20 08:00:00Z,2016-10-20T12:30:15.5Z",
            "D3,Lost,2016-10-20T12:30:15.5Z,",
        ]);
        _files.WriteTo(_folder);

        await CsvImportFiles.ImportAsync(k, _folder, timeZone: "Europe/Oslo");

        var admin = k.Session(TestKernel.Admin);
        var d1 = await admin.Deals.GetAsync(new DealId("D1"));
        Assert.Equal(Instant.FromUtc(2016, 10, 19, 22, 0), d1.OpenedAt);   // midnight in Oslo (summer time)
        Assert.Equal(Instant.FromUtc(2016, 10, 21, 7, 0), d1.ClosedAt);
        Assert.Equal(Instant.FromUtc(2016, 10, 20, 7, 0), (await admin.Deals.GetAsync(new DealId("D2"))).OpenedAt);
        Assert.Equal(Instant.FromUtc(2016, 10, 20, 12, 30, 15) + Duration.FromMilliseconds(500), (await admin.Deals.GetAsync(new DealId("D3"))).ClosedAt);
    }

    [Fact]
    public async Task Issue17_local_dates_default_to_the_tenants_calendar_zone()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.History.RemoveAll(l => l.StartsWith("D2,", StringComparison.Ordinal));
        _files.History.Add("D2,Lead,2016-10-20T09:00,");
        _files.WriteTo(_folder);

        await CsvImportFiles.ImportAsync(k, _folder);

        var zone = k.Session(TestKernel.Admin).Parts.Processes.Calendar.TimeZone;
        var expected = new LocalDateTime(2016, 10, 20, 9, 0).InZoneLeniently(zone).ToInstant();
        Assert.Equal(expected, (await k.Session(TestKernel.Admin).Deals.GetAsync(new DealId("D2"))).OpenedAt);
    }

    [Fact]
    public async Task Issue17_ids_with_spaces_case_insensitive_roles_and_kinds_and_no_targets_file()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.Sellers[1] = "Hanne Berg,Hanne Berg,HEAD,North team,,North,Europe/Oslo";
        _files.Clients[3] = "Per Olsen 1,Per Olsen,Person,North,Bergen,Software,+4740007921,per@olsen.no,2025-01-11T06:14:09Z,";
        _files.Deals[3] = "Deal 3,Per Olsen 1,U1,Web,75.50,usd,,,,";
        _files.History[4] = "Deal 3,Lead,2025-03-06T00:00:00Z,2025-03-07T00:00:00Z";
        _files.History[5] = "Deal 3,Qualified,2025-03-07T00:00:00Z,2025-03-09T00:00:00Z";
        _files.History[6] = "Deal 3,Lost,2025-03-09T00:00:00Z,";
        _files.Targets = null;
        _files.WriteTo(_folder);

        var result = await CsvImportFiles.ImportAsync(k, _folder);

        Assert.Equal((4, 3, 3, 0), (result.Users, result.Clients, result.Deals, result.Targets));
        var admin = k.Session(TestKernel.Admin);
        Assert.Equal(CrmRole.Head, (await admin.Organization.GetUserAsync(new UserId("Hanne_Berg"))).Role);
        Assert.Equal(ClientKind.Person, (await admin.Clients.GetAsync(new ClientId("Per_Olsen_1"))).Kind);
        var deal = await admin.Deals.GetAsync(new DealId("Deal_3"));
        Assert.Equal((new ClientId("Per_Olsen_1"), "USD"), (deal.Client, deal.Amount.Currency));
    }

    // Guards: only the first missing file was reported, by a plain CrmValidationException.
    [Fact]
    public async Task Issue17_all_missing_files_are_reported_at_once()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.WriteTo(_folder);
        File.Delete(Path.Combine(_folder, "sellers.csv"));
        File.Delete(Path.Combine(_folder, "stage_history.csv"));
        File.Delete(Path.Combine(_folder, "targets.csv"));

        var error = await Assert.ThrowsAsync<CsvImportException>(() => CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true));

        Assert.Equal(["sellers.csv", "stage_history.csv"], error.Problems.Select(p => p.File).Order());
    }

    [Fact]
    public async Task Issue17_a_missing_column_is_named_and_rejects_the_import_even_when_skipping_bad_rows()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.Deals[0] = "deal_id,client_id,owner_id,source,currency";

        var error = await Assert.ThrowsAsync<CsvImportException>(async () =>
        {
            _files.WriteTo(_folder);
            await CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true);
        });

        Assert.Equal("deals.csv:1, column amount", error.Problems.Single().ToString()[..26]);
        Assert.Single(await k.Session(TestKernel.Admin).Organization.ListUsersAsync());
    }

    [Fact]
    public async Task Issue17_duplicate_contacts_without_merging_are_bad_rows_found_before_writing()
    {
        await using var k = await CsvImportFiles.KernelAsync();
        _files.Clients[2] = "C2,Bygg AB,company,South,Malmo,Construction,+47 400 07 919,c@bygg.se,2025-01-10T06:14:09Z,";
        _files.WriteTo(_folder);
        var before = await CsvImportFiles.StateAsync(k);

        var error = await Assert.ThrowsAsync<CsvImportException>(() => CsvImportFiles.ImportAsync(k, _folder, mergeDuplicates: false));

        Assert.Equal(before, await CsvImportFiles.StateAsync(k));
        Assert.Equal([("clients.csv:3", "phone"), ("deals.csv:3", "client_id")], error.Problems.Select(p => (p.Location, p.Column)));
    }

    // Guards the same on SQLite: a rejected import leaves the journal and every record as they were.
    [Fact]
    public async Task Issue17_a_rejected_import_writes_nothing_on_sqlite()
    {
        var store = Directory.CreateTempSubdirectory("crm-import17-db-").FullName;
        var (provider, k) = await CsvImportFiles.SqliteKernelAsync(store);
        try
        {
            _files.History[3] = "D2,Lead,yesterday,";

            var error = await RejectedWithNothingWrittenAsync(k);

            Assert.Equal(("stage_history.csv", 4, "entered_at"), (error.Problems[0].File, error.Problems[0].Line, error.Problems[0].Column));
            var result = await CsvImportFiles.ImportAsync(k, _folder, skipBadRows: true);
            Assert.Equal((4, 3, 2), (result.Users, result.Clients, result.Deals));
        }
        finally
        {
            await k.DisposeAsync();
            await provider.DisposeAsync();
            Directory.Delete(store, recursive: true);
        }
    }
}
