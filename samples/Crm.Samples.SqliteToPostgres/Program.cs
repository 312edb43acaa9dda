using Crm.Samples.SqliteToPostgres;
using Crm.Storage.PostgreSql;

// dotnet run --project samples/Crm.Samples.SqliteToPostgres -- crm.db "Host=db;Database=crm;Username=crm" [schema]
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: Crm.Samples.SqliteToPostgres <sqlite-file> <postgres-connection-string> [schema (default crm)]");
    return 64;
}

await using var target = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = args[1], Schema = args.Length == 3 ? args[2] : "crm" });
var report = await SqliteToPostgresCopy.CopyAsync(args[0], target);
Console.WriteLine($"copied {report.Documents} documents, {report.IndexEntries} index entries, {report.UniqueKeys} unique keys, " +
    $"{report.JournalEvents} journal events and {report.Timers} timers of {report.Tenants} tenant(s) into schema \"{target.Schema}\"");
return 0;
