using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Crm.Storage.Sqlite;

/// <summary>What the store needs of a database file beyond SQLite: its header read directly, and flushes to disk.</summary>
internal static partial class SqliteFiles
{
    /// <summary>The files SQLite keeps beside a database while it is written.</summary>
    public static readonly string[] CompanionSuffixes = ["-wal", "-shm", "-journal"];

    private static ReadOnlySpan<byte> Magic => "SQLite format 3\0"u8;

    /// <summary>
    /// Checks a backup's file before SQLite opens it: present, not empty, a SQLite header, as long as the header says, and
    /// no rollback journal beside it (a write to it was interrupted; opening it would roll that write back).
    /// </summary>
    /// <exception cref="SqliteBackupException">The file fails one of these; the message says which.</exception>
    public static void CheckHeader(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new SqliteBackupException(path, "does not exist");
        }

        if (info.Length == 0)
        {
            throw new SqliteBackupException(path, "is empty (0 bytes), as a backup interrupted before its first page was written is");
        }

        var journal = new FileInfo(path + "-journal");
        if (journal.Exists && journal.Length > 0)
        {
            throw new SqliteBackupException(path, $"has a rollback journal beside it ({journal.Name}): a write to it was interrupted, so it is not a complete backup");
        }

        Span<byte> header = stackalloc byte[100];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (read < header.Length || !header[..16].SequenceEqual(Magic))
        {
            throw new SqliteBackupException(path, $"is not a SQLite database (its {info.Length} bytes do not start with a SQLite header); it may be truncated or another kind of file");
        }

        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(header[16..]);
        pageSize = pageSize == 1 ? 65536 : pageSize;
        if (pageSize < 512 || (pageSize & (pageSize - 1)) != 0)
        {
            throw new SqliteBackupException(path, $"has a damaged header (page size {pageSize})");
        }

        var pages = BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        var headerCountValid = BinaryPrimitives.ReadUInt32BigEndian(header[24..]) == BinaryPrimitives.ReadUInt32BigEndian(header[92..]);
        if (info.Length % pageSize != 0 || (headerCountValid && info.Length < (long)pages * pageSize))
        {
            throw new SqliteBackupException(path, $"is truncated: it holds {info.Length} bytes where its header declares {pages} pages of {pageSize} bytes ({(long)pages * pageSize} bytes)");
        }
    }

    /// <summary>Forces a file's content to disk.</summary>
    public static void FlushFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Forces a folder's entries (a rename into it) to disk, where the system allows it (Linux, macOS); on Windows a
    /// completed rename is already durable enough for NTFS's journal.
    /// </summary>
    public static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return; // (a folder that cannot be opened for reading: the rename stands, only its flush is skipped)
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>
/// A backup file is not fit to restore: missing, empty, truncated, not a SQLite database, damaged, left by an interrupted
/// write, or holding no store. Take another backup, or restore an older one.
/// </summary>
public sealed class SqliteBackupException : Crm.Abstractions.CrmException
{
    /// <summary>Creates the exception naming the file and what is wrong with it.</summary>
    /// <param name="path">The backup file.</param>
    /// <param name="problem">What is wrong, as a phrase following the file's name (e.g. "is empty (0 bytes)").</param>
    /// <param name="innerException">SQLite's error, when it gave one.</param>
    public SqliteBackupException(string path, string problem, Exception? innerException = null)
        : base($"The backup '{path}' {problem}. It cannot be restored; take a new backup or restore an older one.", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The backup file.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>
/// Another connection (another process on the same file) held the database's write lock for longer than
/// <see cref="SqliteStoreOptions.BusyTimeout"/>. Nothing of the write was committed; retry it, or find what holds the lock.
/// </summary>
public sealed class SqliteStoreBusyException : Crm.Abstractions.CrmException
{
    /// <summary>Creates the exception naming the file and the wait.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="waited">The configured wait (<see cref="SqliteStoreOptions.BusyTimeout"/>).</param>
    /// <param name="innerException">SQLite's busy error.</param>
    public SqliteStoreBusyException(string path, TimeSpan waited, Exception? innerException = null)
        : base(FormattableString.Invariant($"The database '{path}' stayed locked by another connection (another process on the file?) beyond SqliteStoreOptions.BusyTimeout ({waited.TotalSeconds:0.###} s). Nothing was written; retry, or find the process holding a long write transaction."), innerException)
    {
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }
}
