using Microsoft.Data.Sqlite;

namespace Crm.Storage.Sqlite;

/// <summary>The online backup of a live store and the check of a backup before it is restored.</summary>
internal static class SqliteBackup
{
    /// <summary>See <see cref="SqliteCrmStore.BackupAsync"/>.</summary>
    public static async Task BackupAsync(SqliteReads reads, string dataSource, string destinationPath, CancellationToken cancellationToken)
    {
        var destination = Path.GetFullPath(destinationPath);
        if (destination == Path.GetFullPath(dataSource))
        {
            throw new ArgumentException("The backup must go to another file than the live database.", nameof(destinationPath));
        }

        var folder = Path.GetDirectoryName(destination) ?? ".";
        var temporary = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = await reads.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ConnectionString);
                await copy.OpenAsync(cancellationToken).ConfigureAwait(false);
                source.Connection.BackupDatabase(copy);
                // WAL like the live file (the mode is kept in the file's header); the copy's WAL is folded back into it
                // and removed when this, its only connection, closes.
                await using var wal = copy.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                wal.ExecuteNonQuery();
            }

            SqliteFiles.FlushFile(temporary);
            // A WAL or journal left beside the destination belongs to the file being replaced: applied to the new one
            // it would corrupt it.
            foreach (var suffix in SqliteFiles.CompanionSuffixes)
            {
                File.Delete(destination + suffix);
            }

            File.Move(temporary, destination, overwrite: true);
            SqliteFiles.FlushFolder(folder);
        }
        catch
        {
            foreach (var path in new[] { temporary, temporary + "-journal", temporary + "-wal", temporary + "-shm" })
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                    // Best effort: the backup's own failure is what the caller needs to see.
                }
            }

            throw;
        }
    }

    /// <summary>See <see cref="SqliteCrmStore.VerifyBackupAsync"/>.</summary>
    public static void Verify(string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        SqliteFiles.CheckHeader(full);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            var problems = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read() && problems.Count < 5)
                {
                    problems.Add(reader.GetString(0));
                }
            }

            if (problems is not ["ok"])
            {
                throw new SqliteBackupException(full, "fails SQLite's integrity check: " + string.Join("; ", problems));
            }

            var latest = SqliteMigrations.LatestVersion;
            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN ('documents','journal','timers','tenants')";
            var tables = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version < 1 || tables == 0)
            {
                throw new SqliteBackupException(full, "is an empty database: it holds no CRM store (no schema), as a backup interrupted before its first page was written does");
            }

            if (version > latest)
            {
                throw new SqliteBackupException(full, $"has schema version {version}, newer than this store's {latest}; restore it with a newer Crm.Storage.Sqlite");
            }

            if (version == latest && tables < 4)
            {
                throw new SqliteBackupException(full, $"lacks tables of schema version {version} (found {tables} of documents, journal, timers, tenants)");
            }
        }
        catch (SqliteException e)
        {
            throw new SqliteBackupException(full, $"cannot be read as a SQLite database ({e.Message})", e);
        }
    }
}
