using Crm.Abstractions.Storage;
using Crm.Storage.Conformance;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>The SQLite store on a real file passes the whole conformance suite, restart included.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests, IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteCrmStore> _stores = new();

    protected override bool SupportsReopen => true;

    protected override Task<ICrmStore> CreateStoreAsync()
    {
        var store = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={_directory.File("crm.db")}" });
        _stores.Add(store);
        return Task.FromResult<ICrmStore>(store);
    }

    protected override async Task<ICrmStore> ReopenStoreAsync(ICrmStore previous)
    {
        var sqlite = (SqliteCrmStore)previous;
        var path = sqlite.DataSource;
        await sqlite.DisposeAsync();
        var store = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" });
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

        _directory.Dispose();
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("crm-tests-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a pooled connection; the OS temp cleaner takes it.
        }
    }
}
