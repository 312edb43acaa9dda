using System.Diagnostics;
using Npgsql;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests run against. The connection string comes from <c>CRM_TEST_POSTGRES</c> (.ci/run
/// exports it). When it is missing: on CI (<c>CI=true</c>) every test fails with a message saying so; elsewhere a
/// throwaway cluster is started with <c>eng/postgres.sh</c> (and stopped when the test run ends) so a plain
/// <c>dotnet test</c> works; without the server binaries the tests fail naming what to install. Never skipped.
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<Task<string>> Server = new(StartAsync);

    /// <summary>The server's connection string (to its maintenance database).</summary>
    public static Task<string> ConnectionStringAsync() => Server.Value;

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix, string options = "")
    {
        var server = await ConnectionStringAsync();
        var name = $"crm_{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 37)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" {options}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its remaining connections.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CRM_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                "CRM_TEST_POSTGRES is not set on CI. .ci/run starts a PostgreSQL cluster with eng/postgres.sh and exports it; " +
                "the PostgreSQL tests fail rather than skip when the server is missing.");
        }

        var script = Path.Combine(RepositoryRoot(), "eng", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash eng/postgres.sh.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "No PostgreSQL server for the tests: CRM_TEST_POSTGRES is not set and eng/postgres.sh could not start a throwaway cluster. " +
                "Install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) or set " +
                "CRM_TEST_POSTGRES to a server's connection string (a user allowed to CREATE DATABASE). eng/postgres.sh said: " + (await errors).Trim());
        }

        string? connectionString = null;
        string? directory = null;
        foreach (var line in (await output).Split('\n'))
        {
            connectionString ??= Exported(line, "CRM_TEST_POSTGRES");
            directory ??= Exported(line, "CRM_TEST_POSTGRES_DIR");
        }

        if (connectionString is null || directory is null)
        {
            throw new InvalidOperationException("eng/postgres.sh start printed no connection string: " + await output);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            using var stop = Process.Start(new ProcessStartInfo("bash", [script, "stop", directory]) { RedirectStandardError = true });
            stop?.WaitForExit(30_000);
        };
        return connectionString;
    }

    private static string? Exported(string line, string name)
    {
        var prefix = $"export {name}='";
        return line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].TrimEnd().TrimEnd('\'') : null;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Crm.Kernel.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Crm.Kernel.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fresh database for one test class (xunit class fixture), dropped afterwards.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private string? _connectionString;

    /// <summary>The database's connection string.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The database is not created yet.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _connectionString = await PostgresServer.CreateDatabaseAsync("t");

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_connectionString is not null)
        {
            await PostgresServer.DropDatabaseAsync(_connectionString);
        }
    }
}
