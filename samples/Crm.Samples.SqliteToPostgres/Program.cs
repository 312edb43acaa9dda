using Crm.Kernel.Hosting;
using Crm.Samples.SqliteToPostgres;
using Crm.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;

// dotnet run --project samples/Crm.Samples.SqliteToPostgres -- crm.db "Host=db;Database=crm;Username=crm" [schema]
// Copies the SQLite file into an empty PostgreSQL schema, then opens a kernel on the copy and verifies every tenant's
// journal against its records (exit code 1 when a tenant differs).
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: Crm.Samples.SqliteToPostgres <sqlite-file> <postgres-connection-string> [schema (default crm)]");
    return 64;
}

var (file, connectionString, schema) = (args[0], args[1], args.Length == 3 ? args[2] : "crm");
await using (var target = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = connectionString, Schema = schema }))
{
    var report = await SqliteToPostgresCopy.CopyAsync(file, target);
    Console.WriteLine($"copied {report.Documents} documents, {report.IndexEntries} index entries, {report.UniqueKeys} unique keys, " +
        $"{report.JournalEvents} journal events and {report.Timers} timers of {report.Tenants} tenant(s) into schema \"{schema}\"");
}

// The host's registration after the move (docs/scale-out.md).
var services = new ServiceCollection()
    .AddCrmKernel(crm => crm.UsePostgreSql(connectionString, o => o.Schema = schema))
    .Services;
await using var provider = services.BuildServiceProvider();
var kernel = provider.GetRequiredService<CrmKernel>();
var consistent = true;
foreach (var tenant in await kernel.ListTenantsAsync())
{
    var verification = await kernel.VerifyJournalAsync(tenant);
    consistent &= verification.IsConsistent;
    Console.WriteLine($"{tenant}: {verification.EventsReplayed} events replayed, {verification.RecordsCompared} records compared, " +
        (verification.IsConsistent ? "consistent" : "DIFFERENT: " + string.Join("; ", verification.Differences)));
}

return consistent ? 0 : 1;
