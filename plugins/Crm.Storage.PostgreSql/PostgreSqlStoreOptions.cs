using System.Text.RegularExpressions;
using Crm.Abstractions.Plugins;
using Crm.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Crm.Storage.PostgreSql;

/// <summary>Options of <see cref="PostgreSqlCrmStore"/>.</summary>
public sealed partial class PostgreSqlStoreOptions
{
    /// <summary>The Npgsql connection string, e.g. <c>Host=db;Database=crm;Username=crm;Password=…</c>. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The PostgreSQL schema the store's tables live in; created by the first migration.</summary>
    /// <value>Default <c>crm</c>. Letters, digits and underscores, starting with a letter or underscore, at most 63 characters.</value>
    public string Schema { get; set; } = "crm";

    /// <summary>Throws when an option is invalid; the message names the option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("PostgreSqlStoreOptions.ConnectionString is required, e.g. \"Host=localhost;Database=crm;Username=crm\".", nameof(ConnectionString));
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"PostgreSqlStoreOptions.ConnectionString is not a valid Npgsql connection string: {e.Message}", nameof(ConnectionString), e);
        }

        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException($"PostgreSqlStoreOptions.Schema must be a plain identifier (letters, digits, underscores; at most 63 characters); got '{Schema}'.", nameof(Schema));
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}

/// <summary>Registers the PostgreSQL store.</summary>
public static class PostgreSqlStoreExtensions
{
    /// <summary>
    /// Stores the kernel's data in PostgreSQL; several kernel hosts may share one database. The store is built from
    /// <c>IOptions&lt;PostgreSqlStoreOptions&gt;</c>, validated when the host starts (<c>ValidateOnStart</c>), or when the
    /// store is first resolved outside a host, with a message that names the option. The schema is created or migrated
    /// when the store is first resolved (safe when several hosts start at once). The last <c>UseXxx</c> store call wins
    /// (it replaces earlier PostgreSQL configuration); calling it twice registers once.
    /// </summary>
    /// <example><code>services.AddCrmKernel(crm => crm.UsePostgreSql("Host=db;Database=crm;Username=crm", o => o.Schema = "sales"));</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TBuilder UsePostgreSql<TBuilder>(this TBuilder builder, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
        where TBuilder : ICrmKernelBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PostgreSqlStoreOptions { ConnectionString = connectionString };
        configure?.Invoke(options);
        Register(builder.Services, options);
        return builder;
    }

    internal static void Register(IServiceCollection services, PostgreSqlStoreOptions options)
    {
        services.RemoveAll<ICrmStore>();
        services.RemoveAll<PostgreSqlCrmStore>();
        services.RemoveAll<IConfigureOptions<PostgreSqlStoreOptions>>();
        services.AddOptions<PostgreSqlStoreOptions>().Configure(o =>
        {
            o.ConnectionString = options.ConnectionString;
            o.Schema = options.Schema;
        }).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStoreOptions>, PostgreSqlStoreOptionsValidator>());
        services.AddSingleton(sp => new PostgreSqlCrmStore(sp.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value));
        services.AddSingleton<ICrmStore>(sp => sp.GetRequiredService<PostgreSqlCrmStore>());
    }
}

/// <summary>Validates <see cref="PostgreSqlStoreOptions"/> on start with <see cref="PostgreSqlStoreOptions.Validate"/>'s message, which names the option.</summary>
internal sealed class PostgreSqlStoreOptionsValidator : IValidateOptions<PostgreSqlStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlStoreOptions options)
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

/// <summary>
/// The plug-in entry point for hosts that load adapters from <c>plugins/Crm.Storage.PostgreSql/</c>. It registers
/// nothing unless <see cref="ConnectionString"/> is set, so a plug-in found on disk never replaces the store the host
/// chose. Hosts that reference the package directly call <see cref="PostgreSqlStoreExtensions.UsePostgreSql{TBuilder}"/>.
/// </summary>
/// <example><code>new PostgreSqlPlugin { ConnectionString = "Host=db;Database=crm" }.Configure(context);</code></example>
public sealed class PostgreSqlPlugin : ICrmPlugin
{
    /// <summary>The connection string; <see langword="null"/> (the default) makes the plug-in a no-op.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Further options (schema), applied after <see cref="ConnectionString"/>.</summary>
    public Action<PostgreSqlStoreOptions>? Options { get; init; }

    /// <summary>Registers <see cref="PostgreSqlCrmStore"/> as the <see cref="ICrmStore"/> when <see cref="ConnectionString"/> is set.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ConnectionString is null)
        {
            return;
        }

        var options = new PostgreSqlStoreOptions { ConnectionString = ConnectionString };
        Options?.Invoke(options);
        PostgreSqlStoreExtensions.Register(context.Services, options);
    }
}
