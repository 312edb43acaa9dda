using Crm.Abstractions.Storage;
using Crm.Storage.Conformance;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL store on a real server passes the whole conformance suite, restart included. The class has its own
/// database; each test gets a fresh schema in it (timer claims span all tenants, so tests must not share tables).
/// </summary>
public sealed class PostgreSqlStoreConformanceTests(PostgresDatabase database) : StoreConformanceTests, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly List<PostgreSqlCrmStore> _stores = new();

    protected override bool SupportsReopen => true;

    protected override Task<ICrmStore> CreateStoreAsync() => Task.FromResult<ICrmStore>(Open("s" + Guid.NewGuid().ToString("N")[..16]));

    protected override async Task<ICrmStore> ReopenStoreAsync(ICrmStore previous)
    {
        var schema = ((PostgreSqlCrmStore)previous).Schema;
        await ((PostgreSqlCrmStore)previous).DisposeAsync();
        return Open(schema);
    }

    private PostgreSqlCrmStore Open(string schema)
    {
        var store = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString, Schema = schema });
        _stores.Add(store);
        return store;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }
}
