using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace Crm.Storage.Sqlite.Tests;

/// <summary>Issue 18: backups are written aside and renamed when complete; a restore check tells a bad backup from a good one.</summary>
public sealed class BackupTests : IDisposable
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private static readonly TenantId Tenant = new("t");
    private readonly TempDirectory _directory = new();

    private SqliteCrmStore Open(string name) => new(new SqliteStoreOptions { ConnectionString = $"Data Source={_directory.File(name)}" });

    private static StoreCommit NewDeal(string id) => new(Tenant, Guid.NewGuid(), T0)
    {
        Documents = [new DocumentWrite("deal", id, 0, "{\"id\":\"" + id + "\",\"pad\":\"" + new string('x', 2000) + "\"}", [])],
        Events = [new JournalAppend(Guid.NewGuid(), "deal", id, "DealOpened", "{}", T0, "u1", new Cause(CauseKind.Manual))],
    };

    private async Task<string> GoodBackupAsync(string name = "backup.db", int deals = 40)
    {
        await using var store = Open("live.db");
        for (var i = 0; i < deals; i++)
        {
            await store.CommitAsync(NewDeal("d" + i));
        }

        var path = _directory.File(name);
        await store.BackupAsync(path);
        return path;
    }

    [Fact]
    public async Task Issue18_a_backup_leaves_only_the_complete_file_which_passes_the_check()
    {
        var path = await GoodBackupAsync();
        var files = Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(files, f => f!.EndsWith(".tmp", StringComparison.Ordinal) || f.StartsWith("backup.db-", StringComparison.Ordinal));
        Assert.Contains("backup.db", files);
        await SqliteCrmStore.VerifyBackupAsync(path);
    }

    /// <summary>
    /// Guards the rename over a destination that was in use: its WAL must not be applied to the new copy. Before the fix
    /// the backup was written in place beside the old file's WAL.
    /// </summary>
    [Fact]
    public async Task Issue18_a_backup_over_an_older_one_replaces_it_whole()
    {
        var path = await GoodBackupAsync(deals: 5);
        await using (var old = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" }))
        {
            await old.CommitAsync(NewDeal("only-in-the-old-backup"));
            File.Copy(path + "-wal", _directory.File("stale-wal"));
        }

        File.Copy(_directory.File("stale-wal"), path + "-wal"); // as a host killed while the old copy was open leaves it
        await using (var store = Open("live.db"))
        {
            await store.CommitAsync(NewDeal("after"));
            await store.BackupAsync(path);
        }

        await SqliteCrmStore.VerifyBackupAsync(path);
        await using var copy = new SqliteCrmStore(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" });
        Assert.Null(await copy.LoadAsync(Tenant, "deal", "only-in-the-old-backup"));
        Assert.NotNull(await copy.LoadAsync(Tenant, "deal", "after"));
    }

    [Fact]
    public async Task Issue18_the_check_refuses_an_empty_file()
    {
        var path = _directory.File("empty.db");
        await File.WriteAllBytesAsync(path, []);
        var error = await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(path));
        Assert.Equal(path, error.Path);
        Assert.Contains("empty (0 bytes)", error.Message);
    }

    [Fact]
    public async Task Issue18_the_check_refuses_a_truncated_backup()
    {
        var path = await GoodBackupAsync();
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.True(bytes.Length >= 8 * 4096, $"the backup is only {bytes.Length} bytes");
        var truncated = _directory.File("truncated.db");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2 / 4096 * 4096)]);
        var error = await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(truncated));
        Assert.Contains("truncated", error.Message);
        Assert.Contains(truncated, error.Message);

        var torn = _directory.File("torn.db");
        await File.WriteAllBytesAsync(torn, bytes[..1000]);
        Assert.Contains("truncated", (await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(torn))).Message);
    }

    /// <summary>What a backup interrupted in place used to leave: the file and its rollback journal, opening as an empty CRM.</summary>
    [Fact]
    public async Task Issue18_the_check_refuses_a_backup_with_an_interrupted_write_beside_it()
    {
        var path = await GoodBackupAsync();
        await File.WriteAllBytesAsync(path + "-journal", new byte[512]);
        var error = await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(path));
        Assert.Contains("rollback journal", error.Message);
    }

    [Fact]
    public async Task Issue18_the_check_refuses_a_database_without_a_store_and_a_file_that_is_no_database()
    {
        var bare = _directory.File("bare.db");
        using (var connection = new SqliteConnection($"Data Source={bare};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE other(x);";
            command.ExecuteNonQuery();
        }

        Assert.Contains("empty database", (await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(bare))).Message);

        var text = _directory.File("notes.db");
        await File.WriteAllTextAsync(text, new string('a', 4096));
        Assert.Contains("not a SQLite database", (await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(text))).Message);

        var missing = _directory.File("missing.db");
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(missing))).Message);
    }

    [Fact]
    public async Task Issue18_the_check_refuses_a_damaged_page()
    {
        var path = await GoodBackupAsync();
        var bytes = await File.ReadAllBytesAsync(path);
        for (var i = 4096; i < 4096 * 3; i++)
        {
            bytes[i] = 0x5A;
        }

        await File.WriteAllBytesAsync(path, bytes);
        var error = await Assert.ThrowsAsync<SqliteBackupException>(() => SqliteCrmStore.VerifyBackupAsync(path));
        Assert.Contains(path, error.Message);
    }

    public void Dispose() => _directory.Dispose();
}
