using System.Collections.Concurrent;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NodaTime;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>What only a shared server can show: migrations racing, several store instances (hosts) committing at once.</summary>
public sealed class PostgreSqlStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 1, 1, 0, 0);
    private readonly List<PostgreSqlCrmStore> _stores = new();

    private PostgreSqlCrmStore Open(string schema)
    {
        var store = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString, Schema = schema });
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    private static string NewSchema() => "s" + Guid.NewGuid().ToString("N")[..16];

    private static JournalAppend Event(string stream, string type) =>
        new(Guid.NewGuid(), "deal", stream, type, "{}", T0, null, new Cause(CauseKind.Manual));

    [Fact]
    public async Task A_schema_of_the_previous_release_gets_the_consumer_lease_table_and_keeps_its_data()
    {
        var schema = NewSchema();
        var tenant = new TenantId("t");
        var first = Open(schema);
        await first.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0) { Events = [Event("d1", "DealOpened")] });
        // Turn the schema back into what the previous release (3 migrations) wrote.
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var downgrade = new NpgsqlCommand($"DROP TABLE \"{schema}\".consumer_leases; DELETE FROM \"{schema}\".schema_migrations WHERE version >= 4", connection);
            await downgrade.ExecuteNonQueryAsync();
        }

        var upgraded = Open(schema);

        Assert.Equal(PostgreSqlCrmStore.SchemaVersion - 3, upgraded.AppliedMigrations);
        Assert.Equal(new CommitResult(2, 2), await upgraded.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0) { Events = [Event("d1", "DealMoved")] }));
        Assert.True(await upgraded.TryClaimConsumerAsync(tenant, "notifications", "host-a", T0, Duration.FromMinutes(1)));
        Assert.False(await first.TryClaimConsumerAsync(tenant, "notifications", "host-b", T0, Duration.FromMinutes(1)));
    }

    [Fact]
    public async Task Hosts_starting_at_once_migrate_the_schema_exactly_once()
    {
        var schema = NewSchema();

        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Open(schema))));

        Assert.Equal(PostgreSqlCrmStore.SchemaVersion, stores.Sum(s => s.AppliedMigrations));
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT array_agg(version ORDER BY version) FROM \"{schema}\".schema_migrations", connection);
        Assert.Equal(Enumerable.Range(1, PostgreSqlCrmStore.SchemaVersion).ToArray(), (int[])(await command.ExecuteScalarAsync())!);
        // A restarted host finds nothing to do.
        Assert.Equal(0, Open(schema).AppliedMigrations);
    }

    [Fact]
    public async Task A_schema_newer_than_the_store_is_refused_with_a_clear_message()
    {
        var schema = NewSchema();
        Open(schema);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"INSERT INTO \"{schema}\".schema_migrations(version) VALUES(999)", connection);
            await command.ExecuteNonQueryAsync();
        }

        var error = Assert.Throws<InvalidOperationException>(() => Open(schema));
        Assert.Contains("999", error.Message);
        Assert.Contains("upgrade Crm.Storage.PostgreSql", error.Message);
    }

    /// <summary>
    /// Three store instances (three hosts, three connection pools) commit to one tenant from 12 writers while a reader
    /// follows the journal from its last position. The reader must see every committed event exactly once, in
    /// position order, with no hole — including the positions of commits that failed (they must leave none).
    /// </summary>
    [Fact]
    public async Task Reader_following_the_journal_sees_every_event_once_in_order_while_hosts_commit_concurrently()
    {
        var schema = NewSchema();
        var hosts = Enumerable.Range(0, 3).Select(_ => Open(schema)).ToArray();
        var tenant = new TenantId("hammer");
        var committed = new ConcurrentDictionary<Guid, long>();
        using var done = new CancellationTokenSource();

        var seen = new List<JournalRecord>();
        var reader = Task.Run(async () =>
        {
            var position = 0L;
            while (true)
            {
                var stop = done.IsCancellationRequested; // read once more after the writers finished
                var reader = hosts[^1];
                await foreach (var record in reader.ReadJournalAsync(tenant, position, 50))
                {
                    Assert.Equal(position + 1, record.Position); // a hole here would be skipped for ever
                    seen.Add(record);
                    position = record.Position;
                }

                if (stop)
                {
                    return;
                }
            }
        });

        var writers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
        {
            var host = hosts[w % hosts.Length];
            for (var i = 0; i < 40; i++)
            {
                var stream = $"w{w}-{i}";
                var events = Enumerable.Range(0, 1 + (i % 3)).Select(e => Event(stream, "E" + e)).ToArray();
                // Every fifth commit conflicts after its events were appended in the batch: it must leave no hole.
                var documents = i % 5 == 4 ? new[] { new DocumentWrite("deal", "shared", 99, "{}", []) } : [new DocumentWrite("deal", stream, 0, "{}", [])];
                try
                {
                    var result = await host.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0) { Documents = documents, Events = events });
                    for (var e = 0; e < events.Length; e++)
                    {
                        committed[events[e].EventId] = result.FirstPosition + e;
                    }
                }
                catch (ConcurrencyConflictException)
                {
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        await done.CancelAsync();
        await reader;

        Assert.Equal(committed.Count, seen.Count);
        Assert.Equal(seen.Count, seen.Select(r => r.Event.EventId).Distinct().Count());
        Assert.All(seen, r => Assert.Equal(committed[r.Event.EventId], r.Position));
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen.Select(r => r.Position));
        // Events of one commit stay together and in their order.
        foreach (var commit in seen.GroupBy(r => r.CommitId))
        {
            Assert.Equal(commit.Select((_, i) => "E" + i), commit.Select(r => r.Event.EventType));
        }
    }

    [Fact]
    public async Task A_read_check_that_passes_is_ordered_before_any_commit_that_changed_the_document()
    {
        // Host A keeps rewriting a user document; host B keeps committing with a read check of the user's version it saw
        // last. Whenever B's check passes while A's change to that version races with it, B's event must come first in
        // the journal: a check may never pass against a version that a commit ordered before it had already replaced.
        var schema = NewSchema();
        var tenant = new TenantId("t");
        var (a, b) = (Open(schema), Open(schema));
        await a.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0) { Documents = [new DocumentWrite("user", "u", 0, "{}", [])] });
        var writes = new ConcurrentDictionary<long, long>(); // journal position of A's write -> the version it replaced
        var passed = new ConcurrentBag<(long Position, long Checked)>();
        var failed = 0;
        var writer = Task.Run(async () =>
        {
            for (var version = 1L; version <= 150; version++)
            {
                var result = await a.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0)
                {
                    Documents = [new DocumentWrite("user", "u", version, "{\"v\":" + version + "}", [])],
                    Events = [Event("u", "UserChanged")],
                });
                writes[result.FirstPosition] = version;
                if (version % 10 == 0)
                {
                    // A breath now and then: on a loaded machine B's checks could otherwise lose every race and the
                    // test would see no passed check to verify.
                    await Task.Delay(5);
                }
            }
        });
        var checker = Task.Run(async () =>
        {
            while (!writer.IsCompleted)
            {
                var seen = (await b.LoadAsync(tenant, "user", "u"))!.Version;
                try
                {
                    var result = await b.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0)
                    {
                        Events = [Event("d", "DealChanged")],
                        ReadChecks = [new DocumentVersionCheck("user", "u", seen)],
                    });
                    passed.Add((result.FirstPosition, seen));
                }
                catch (ConcurrencyConflictException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        });
        await Task.WhenAll(writer, checker);

        Assert.NotEmpty(passed);
        foreach (var (position, seen) in passed)
        {
            // The write that replaced the checked version must be after the check in journal order.
            var replacing = writes.Where(w => w.Value == seen).Select(w => w.Key).ToList();
            Assert.All(replacing, p => Assert.True(p > position, $"check of version {seen} at position {position} passed, but the write replacing it is at {p}"));
        }
    }

    [Fact]
    public async Task Hosts_claiming_at_once_never_get_the_same_timer()
    {
        var schema = NewSchema();
        var hosts = Enumerable.Range(0, 4).Select(_ => Open(schema)).ToArray();
        var tenant = new TenantId("timers");
        await hosts[0].CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0)
        {
            TimersToSet = Enumerable.Range(0, 400).Select(i => new ScheduledTimer("t" + i, tenant, T0 + Duration.FromSeconds(i), "k", "p")).ToArray(),
        });

        var claims = await Task.WhenAll(hosts.Select(host => Task.Run(async () =>
        {
            var mine = new List<string>();
            while (true)
            {
                var batch = await host.ClaimDueTimersAsync(T0 + Duration.FromHours(1), Duration.FromMinutes(5), 7);
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(c => c.Timer.Id));
            }
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(400, all.Count);
        Assert.Equal(400, all.Distinct().Count());
    }

    [Fact]
    public async Task Ids_come_back_in_ordinal_order_even_when_the_database_collates_linguistically()
    {
        // An ICU collation sorts "a" < "B" < "b"; the store's key columns are "C", so the order is the port's (ordinal).
        var connectionString = await PostgresServer.CreateDatabaseAsync("icu", "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'");
        try
        {
            await using var store = new PostgreSqlCrmStore(new PostgreSqlStoreOptions { ConnectionString = connectionString });
            var tenant = new TenantId("t");
            string[] ids = ["b", "B", "a", "_z", "A1"];
            await store.CommitAsync(new StoreCommit(tenant, Guid.NewGuid(), T0)
            {
                Documents = ids.Select(id => new DocumentWrite("deal", id, 0, "{}", [new IndexEntry("owner", "u")])).ToArray(),
            });

            var all = new List<string>();
            await foreach (var document in store.QueryAsync(tenant, "deal"))
            {
                all.Add(document.Id);
            }

            var indexed = new List<string>();
            await foreach (var document in store.QueryAsync(tenant, "deal", new IndexEntry("owner", "u")))
            {
                indexed.Add(document.Id);
            }

            Assert.Equal(ids.Order(StringComparer.Ordinal), all);
            Assert.Equal(all, indexed);
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public void Options_are_validated_and_the_message_names_the_option()
    {
        Assert.Contains("ConnectionString", Assert.Throws<ArgumentException>(() => new PostgreSqlStoreOptions().Validate()).Message);
        Assert.Contains("Schema", Assert.Throws<ArgumentException>(() =>
            new PostgreSqlStoreOptions { ConnectionString = "Host=x", Schema = "crm; DROP TABLE x" }.Validate()).Message);
        Assert.Contains("ConnectionString", Assert.Throws<ArgumentException>(() =>
            new PostgreSqlStoreOptions { ConnectionString = "Nonsense Key=1" }.Validate()).Message);
    }

    [Fact]
    public void UsePostgreSql_twice_registers_one_store_and_the_plugin_without_a_connection_string_registers_none()
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm => crm.UsePostgreSql("Host=a").UsePostgreSql("Host=b"));
        Assert.Single(services, d => d.ServiceType == typeof(ICrmStore));
        Assert.Single(services, d => d.ServiceType == typeof(PostgreSqlCrmStore));

        var empty = new ServiceCollection();
        new PostgreSqlPlugin().Configure(new PluginContext(empty));
        Assert.Empty(empty);
        new PostgreSqlPlugin { ConnectionString = "Host=a", Options = o => o.Schema = "other" }.Configure(new PluginContext(empty));
        Assert.Single(empty, d => d.ServiceType == typeof(ICrmStore));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    private sealed class PluginContext(IServiceCollection services) : Crm.Abstractions.Plugins.ICrmPluginContext
    {
        public IServiceCollection Services { get; } = services;

        public void AddMethodology(Crm.Abstractions.Plugins.SalesMethodology methodology) => throw new NotSupportedException();
    }
}
