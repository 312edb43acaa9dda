using Crm.Abstractions;
using Crm.Kernel.Import;
using Xunit;

namespace Crm.Kernel.Tests.Reports;

public sealed class ImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("crm-import-").FullName;

    private async Task<TestKernel> KernelAsync()
    {
        var k = TestKernel.Create();
        await k.Kernel.InitializeTenantAsync(k.Tenant, TestKernel.Admin, "Admin");
        await k.Session(TestKernel.Admin).Pipelines.DefineAsync(new PipelineDefinition(new PipelineId("sales"), "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        ]));
        return k;
    }

    private void Write(string dealsAmount = "100.00", string phone = "+4740007919")
    {
        File.WriteAllText(Path.Combine(_folder, "sellers.csv"), "seller_id,name,role,team,head,office,time_zone\nH1,Hanne,head,North team,,North,Europe/Oslo\nU1,Ada,seller,North team,Hanne,North,Europe/Oslo\n");
        File.WriteAllText(Path.Combine(_folder, "clients.csv"), $"client_id,name,kind,region,city,industry,phone,email,registered_at,duplicate_of\nC1,Fjord,company,North,Oslo,Retail,{phone},a@b.no,2025-01-09T06:14:09Z,\nC2,Bygg,company,North,Oslo,Retail,+4740007920,c@d.no,2025-01-09T06:14:09Z,\n");
        File.WriteAllText(Path.Combine(_folder, "deals.csv"), $"deal_id,client_id,owner_id,source,amount,currency,opened_at,closed_at,outcome,stage\nD1,C1,U1,Call,{dealsAmount},USD,2025-03-04T00:00:00Z,2025-03-05T00:00:00Z,won,Won\nD2,C2,U1,Call,50.00,USD,2025-03-04T00:00:00Z,,open,Lead\n");
        File.WriteAllText(Path.Combine(_folder, "stage_history.csv"), "deal_id,stage,entered_at,left_at\nD1,Lead,2025-03-04T00:00:00Z,2025-03-05T00:00:00Z\nD1,Won,2025-03-05T00:00:00Z,\nD2,Lead,2025-03-04T00:00:00Z,\n");
        File.WriteAllText(Path.Combine(_folder, "targets.csv"), "seller_id,period_start,period_end,currency,revenue_target\nU1,2025-01-01,2025-03-31,USD,1000.00\n");
    }

    [Fact]
    public async Task A_file_with_bad_rows_is_rejected_as_a_whole_with_each_line_and_reason()
    {
        await using var k = await KernelAsync();
        Write(dealsAmount: "a lot", phone: "12");

        var error = await Assert.ThrowsAnyAsync<CrmValidationException>(() =>
            SalesCsvImport.ImportAsync(k.Session(TestKernel.Admin), _folder, new CsvImportOptions { Pipeline = new PipelineId("sales") }));

        Assert.Equal(["clients.csv:2", "deals.csv:2"], error.Errors.Select(e => e.Field));
        Assert.Contains("'12' is not a valid phone number", error.Errors[0].Message);
        Assert.Single(await k.Session(TestKernel.Admin).Organization.ListUsersAsync());   // nothing imported
    }

    [Fact]
    public async Task Bad_rows_can_be_skipped_and_listed_and_a_rerun_resumes_without_doubling()
    {
        await using var k = await KernelAsync();
        Write(dealsAmount: "a lot");
        var options = new CsvImportOptions { Pipeline = new PipelineId("sales"), SkipBadRows = true };

        var first = await SalesCsvImport.ImportAsync(k.Session(TestKernel.Admin), _folder, options);
        Write();
        var second = await SalesCsvImport.ImportAsync(k.Session(TestKernel.Admin), _folder, options);

        Assert.Equal((2, 2, 1), (first.Users, first.Clients, first.Deals));
        Assert.Equal(["deals.csv:2, column amount: 'a lot' is not a number; expected a number from 0 to 1000000000000 written with digits and a '.' decimal point, such as 1234.56 (no thousands separator)."], first.BadRows);
        Assert.Equal((0, 0, 1), (second.Users, second.Clients, second.Deals));   // only the fixed row is new
        var deals = await k.Session(TestKernel.Admin).Deals.ListAsync();
        Assert.Equal(2, deals.Count);
        var won = deals.Single(d => d.Id == new DealId("D1"));
        Assert.Equal(NodaTime.Instant.FromUtc(2025, 3, 5, 0, 0), won.ClosedAt);   // history keeps its original instants
        Assert.Equal(CauseKind.Import, won.History[^1].Cause.Kind);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
