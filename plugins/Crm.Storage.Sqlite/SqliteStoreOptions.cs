using Crm.Abstractions.Plugins;
using Crm.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Crm.Storage.Sqlite;

/// <summary>SQLite's <c>synchronous</c> setting: how hard a commit waits for the disk.</summary>
public enum SqliteSynchronous
{
    /// <summary>No fsync: fastest, a power loss may lose recent commits (never corrupts in WAL mode).</summary>
    Off = 0,
    /// <summary>fsync at checkpoints only: a power loss may lose the last commits.</summary>
    Normal = 1,
    /// <summary>fsync on every commit: durable (the default).</summary>
    Full = 2,
    /// <summary>Like Full, plus a directory sync.</summary>
    Extra = 3,
}

/// <summary>Options of <see cref="SqliteCrmStore"/>.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The SQLite connection string, e.g. <c>Data Source=crm.db</c>. Required; in-memory databases are not supported.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>How hard a commit waits for the disk.</summary>
    /// <value>Default <see cref="SqliteSynchronous.Full"/>.</value>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How many queued commits the writer folds into one SQLite transaction (group commit).</summary>
    /// <value>Default 100; from 1 (no grouping) to 10,000.</value>
    public int MaxGroupCommitSize { get; set; } = 100;

    /// <summary>
    /// How long the writer thread, having written a group of one commit and with nothing more to write, watches for the
    /// next commit before it sleeps. A caller that awaits one commit at a time issues its next one a few tens of
    /// microseconds later; catching it awake saves waking a sleeping thread, which on a busy virtual machine can take
    /// longer than the write. The writer yields its core while it watches, so other threads are not held up, and does
    /// not watch after a larger group (its callers are busy with their completions); <see cref="TimeSpan.Zero"/> makes
    /// it sleep at once.
    /// </summary>
    /// <value>Default 200 µs; from zero to 10 ms.</value>
    public TimeSpan WriterSpin { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// How long a write waits for the file's write lock while another connection (another process on the same file)
    /// holds it. SQLite's busy handler waits this long, and Microsoft.Data.Sqlite retries up to the same time again, so
    /// a write fails with <see cref="SqliteStoreBusyException"/> after at most about twice this wait.
    /// </summary>
    /// <value>Default 10 s; from 100 ms to 10 minutes.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws when an option is out of range; the message names the option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("SqliteStoreOptions.ConnectionString is required, e.g. \"Data Source=crm.db\".", nameof(ConnectionString));
        }

        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
        {
            throw new ArgumentException("SqliteStoreOptions.ConnectionString must name a database file; in-memory databases are not supported (use the in-memory store for tests).", nameof(ConnectionString));
        }

        if (MaxGroupCommitSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"SqliteStoreOptions.MaxGroupCommitSize must be from 1 to 10000; got {MaxGroupCommitSize}.", nameof(MaxGroupCommitSize));
        }

        if (WriterSpin < TimeSpan.Zero || WriterSpin > TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentException($"SqliteStoreOptions.WriterSpin must be from zero to 10 ms; got {WriterSpin}.", nameof(WriterSpin));
        }

        if (BusyTimeout < TimeSpan.FromMilliseconds(100) || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"SqliteStoreOptions.BusyTimeout must be from 100 ms to 10 minutes; got {BusyTimeout}.", nameof(BusyTimeout));
        }

        if (!Enum.IsDefined(Synchronous))
        {
            throw new ArgumentException($"SqliteStoreOptions.Synchronous has no value {(int)Synchronous}.", nameof(Synchronous));
        }
    }
}

/// <summary>Registers the SQLite store.</summary>
public static class SqliteStoreExtensions
{
    /// <summary>
    /// Stores the kernel's data in one SQLite file (WAL mode, group commit), built from <c>IOptions&lt;SqliteStoreOptions&gt;</c>.
    /// The options are validated when the host starts (<c>ValidateOnStart</c>), or when the store is first resolved
    /// outside a host, with a message that names the option; more configuration (e.g.
    /// <c>services.Configure&lt;SqliteStoreOptions&gt;(section)</c>) may follow this call. The last <c>UseXxx</c> store call
    /// wins (it replaces earlier SQLite configuration); calling it twice registers once. The store is opened (and its
    /// schema created) when the kernel is first resolved.
    /// </summary>
    /// <example><code>services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db"));</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TBuilder UseSqlite<TBuilder>(this TBuilder builder, string connectionString, Action<SqliteStoreOptions>? configure = null)
        where TBuilder : ICrmKernelBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.RemoveAll<ICrmStore>();
        services.RemoveAll<SqliteCrmStore>();
        services.RemoveAll<IConfigureOptions<SqliteStoreOptions>>();
        services.AddOptions<SqliteStoreOptions>().Configure(o =>
        {
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        }).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.AddSingleton(sp => new SqliteCrmStore(sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value));
        services.AddSingleton<ICrmStore>(sp => sp.GetRequiredService<SqliteCrmStore>());
        return builder;
    }
}

/// <summary>Validates <see cref="SqliteStoreOptions"/> on start with <see cref="SqliteStoreOptions.Validate"/>'s message, which names the option.</summary>
internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
