using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Benchmarks.PostgreSql;

/// <summary>
/// The server for the PostgreSQL benchmarks: <c>CRM_TEST_POSTGRES</c> (e.g. from <c>eval "$(eng/postgres.sh start)"</c>).
/// Each benchmark class makes its own database and drops it afterwards.
/// </summary>
internal static class PostgresBench
{
    public static string Server => Environment.GetEnvironmentVariable("CRM_TEST_POSTGRES") is { Length: > 0 } server
        ? server
        : throw new InvalidOperationException("Set CRM_TEST_POSTGRES to a PostgreSQL server for the PostgreSQL benchmarks, e.g. eval \"$(eng/postgres.sh start)\".");

    public static string CreateDatabase()
    {
        var name = "crm_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(Server))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(Server) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }

    public static void DropDatabase(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Server);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>A kernel host on the database whose store counts the rows its commits write.</summary>
    public static ServiceProvider CountingHost(string connectionString, out CountingStore store)
    {
        store = new CountingStore(new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = connectionString }));
        var services = new ServiceCollection();
        services.AddCrmKernel(_ => { });
        services.AddSingleton<Crm.Abstractions.Storage.ICrmStore>(store);
        return services.BuildServiceProvider();
    }

    /// <summary>Runs <paramref name="commands"/> split over <paramref name="clients"/> concurrent clients, each on its own
    /// slice (first index, count).</summary>
    public static Task RunClientsAsync(int clients, int commands, Func<int, int, Task> client)
    {
        var per = commands / clients;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => client(c * per, per))));
    }

    /// <summary>
    /// The raw baseline of the deal-command benchmarks on one connection: <paramref name="transactions"/> transactions,
    /// each of <paramref name="rowsPerTransaction"/> single-row INSERTs (prepared) into <c>raw_rows</c>.
    /// </summary>
    public static async Task RawTransactionsAsync(NpgsqlDataSource raw, string payload, int rowsPerTransaction, int transactions)
    {
        await using var connection = await raw.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO raw_rows(tenant, kind, payload) VALUES($1, 'deal', $2)", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = "bench" });
        insert.Parameters.Add(new NpgsqlParameter { Value = payload });
        await insert.PrepareAsync();
        for (var i = 0; i < transactions; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            insert.Transaction = transaction;
            for (var r = 0; r < rowsPerTransaction; r++)
            {
                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }
    }

    /// <summary>A kernel host on the database (its own provider, store and pool).</summary>
    public static ServiceProvider Host(string connectionString, Action<CrmKernelOptions>? options = null) =>
        new ServiceCollection()
            .AddCrmKernel(crm => crm.UsePostgreSql(connectionString).Configure(o => options?.Invoke(o)))
            .Services.BuildServiceProvider();

    /// <summary>A tenant with one seller, a pipeline and <paramref name="deals"/> open deals.</summary>
    public static async Task<IReadOnlyList<DealId>> SeedAsync(CrmKernel kernel, int deals)
    {
        await kernel.InitializeTenantAsync(BenchKernel.Tenant, new UserId("admin"), "Admin");
        var admin = kernel.OpenSession(BenchKernel.Tenant, new UserId("admin"));
        await admin.Organization.RegisterUserAsync(new NewUser(BenchKernel.Seller, "Seller"));
        await admin.Pipelines.DefineAsync(new PipelineDefinition(BenchKernel.Pipeline, "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        ]));
        var seller = kernel.OpenSession(BenchKernel.Tenant, BenchKernel.Seller);
        var client = await seller.Clients.RegisterAsync(new NewClient("Bench AS"));
        var ids = new List<DealId>(deals);
        for (var i = 0; i < deals; i++)
        {
            ids.Add((await seller.Deals.OpenAsync(new NewDeal(client.Id, BenchKernel.Pipeline, Money.Of(100 + i, "USD")))).Id);
        }

        return ids;
    }
}
