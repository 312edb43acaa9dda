using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Journal;
using Crm.Kernel.Organization;
using Crm.Kernel.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>
/// Four kernel hosts (separate service providers, stores and connection pools) on one PostgreSQL database, running
/// commands and due timers at the same time, the way several application servers would.
/// </summary>
public sealed class MultiHostTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly TenantId Tenant = new("acme");
    private static readonly UserId Admin = new("admin");
    private static readonly PipelineId Sales = new("sales");
    private static readonly StageId[] OpenStages = [new("a"), new("b"), new("c"), new("d")];
    private static readonly Instant Morning = Instant.FromUtc(2026, 3, 2, 8, 0);

    private static UserId Seller(int host) => new("s" + host);

    private sealed class Host(ServiceProvider provider, FakeClock clock) : IAsyncDisposable
    {
        public FakeClock Clock { get; } = clock;
        public CrmKernel Kernel { get; } = provider.GetRequiredService<CrmKernel>();

        public ValueTask DisposeAsync() => provider.DisposeAsync();
    }

    /// <summary>A notification channel every host delivers to (the same instance: one messenger gateway).</summary>
    private sealed class Messenger : Crm.Abstractions.Ports.INotificationChannel
    {
        public ConcurrentBag<string> Delivered { get; } = new();

        public string Name => "messenger";

        public Task DeliverAsync(Crm.Abstractions.Ports.Notification notification, CancellationToken cancellationToken = default)
        {
            Delivered.Add(notification.Subject);
            return Task.CompletedTask;
        }
    }

    /// <summary>The channel of a host that hangs in its first delivery until it is killed (then every delivery fails).</summary>
    private sealed class HangingChannel : Crm.Abstractions.Ports.INotificationChannel
    {
        private readonly TaskCompletionSource _death = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "messenger";

        public void Die() => _death.TrySetException(new ObjectDisposedException("host", "The host was killed."));

        public Task DeliverAsync(Crm.Abstractions.Ports.Notification notification, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            return _death.Task;
        }
    }

    private Host StartHost(string schema, int timerBatchSize = 100, Func<ICrmStore, ICrmStore>? wrapStore = null,
        Crm.Abstractions.Ports.INotificationChannel? messenger = null, Duration? consumerLease = null)
    {
        var clock = new FakeClock(Morning);
        var services = new ServiceCollection().AddSingleton<IClock>(clock);
        if (messenger is not null)
        {
            services.AddSingleton(messenger);
        }

        services.AddCrmKernel(crm => crm.UsePostgreSql(database.ConnectionString, o => o.Schema = schema).Configure(o =>
        {
            o.DefaultPhoneRegion = "NO";
            o.TimerLease = Duration.FromMinutes(1);
            o.TimerBatchSize = timerBatchSize;
            o.ConsumerLease = consumerLease ?? Duration.FromMinutes(1);
        }));
        if (wrapStore is not null)
        {
            services.RemoveAll<ICrmStore>();
            services.AddSingleton(sp => wrapStore(sp.GetRequiredService<PostgreSqlCrmStore>()));
        }

        return new Host(services.BuildServiceProvider(), clock);
    }

    private static async Task SetUpAsync(CrmKernel kernel, int sellers)
    {
        await kernel.InitializeTenantAsync(Tenant, Admin, "Ada Admin");
        var admin = kernel.OpenSession(Tenant, Admin);
        await admin.Organization.RegisterUserAsync(new NewUser(new UserId("h"), "Hanna Head", CrmRole.Head));
        await admin.Organization.DefineTeamAsync(new TeamId("team"), "Team", new UserId("h"));
        for (var i = 0; i < sellers; i++)
        {
            await admin.Organization.RegisterUserAsync(new NewUser(Seller(i), "Seller " + i, CrmRole.Seller) { Team = new TeamId("team") });
        }

        await admin.Pipelines.DefineAsync(new PipelineDefinition(Sales, "Sales",
            [.. OpenStages.Select(s => new StageDefinition(s, s.Value.ToUpperInvariant())), new StageDefinition(new StageId("won"), "Won", StageKind.Won)]));
    }

    private static async Task<List<JournalEntry>> ReadAllAsync(CrmKernel kernel, long after = 0)
    {
        var all = new List<JournalEntry>();
        while (true)
        {
            var page = await kernel.OpenSession(Tenant, Admin).Journal.ListAsync(after, 1000);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
            after = page[^1].Position;
        }
    }

    /// <summary>Runs the kernel's journal consumers (notifications and webhooks). A host finding a consumer under another
    /// host's lease skips it; with leases no host loses a race for a cursor, so a conflict here fails the test.</summary>
    private static async Task DeliverAsync(CrmKernel kernel)
    {
        await kernel.Notifications.DeliverAsync(Tenant);
        await kernel.Webhooks.DeliverAsync(Tenant);
    }

    private static async Task<T?> RetryAsync<T>(Func<Task<T>> command) where T : class
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            try
            {
                return await command();
            }
            catch (ConcurrencyConflictException)
            {
                // Another host wrote the record first; like a user, read again and retry.
            }
        }

        return null;
    }

    [Fact]
    public async Task Four_hosts_run_a_day_of_commands_and_timers_and_nothing_is_lost_doubled_or_reordered()
    {
        var schema = "s" + Guid.NewGuid().ToString("N")[..16];
        var messenger = new Messenger();
        await using var receiver = new LoopbackReceiver("a-webhook-secret-of-this-day");
        // The hosts' fake clocks drift apart by hours in this simulation (each host sets its own per step), which real
        // hosts' clocks never do; a day-long lease keeps a consumer exclusive by release alone here. Expiry is tested below.
        var hosts = Enumerable.Range(0, 4).Select(_ => StartHost(schema, messenger: messenger, consumerLease: Duration.FromDays(1))).ToArray();
        try
        {
            await SetUpAsync(hosts[0].Kernel, hosts.Length);
            await hosts[0].Kernel.OpenSession(Tenant, Admin).Webhooks.RegisterAsync(receiver.Url, "a-webhook-secret-of-this-day", ["DealOpened", "DealStageChanged"]);
            var setupHead = (await ReadAllAsync(hosts[0].Kernel)).Count;
            var acknowledged = new ConcurrentBag<string>();
            var tasks = new ConcurrentBag<(WorkTaskId Id, string Title)>();
            var sharedDeals = new ConcurrentBag<DealId>();

            // A journal consumer on its own host follows from its last position while the day runs.
            using var dayOver = new CancellationTokenSource();
            var consumed = new List<JournalEntry>();
            var consumer = Task.Run(async () =>
            {
                var position = 0L;
                while (true)
                {
                    var last = dayOver.IsCancellationRequested;
                    var page = await hosts[3].Kernel.OpenSession(Tenant, Admin).Journal.ListAsync(position, 200);
                    consumed.AddRange(page);
                    position = page.Count > 0 ? page[^1].Position : position;
                    if (last && page.Count == 0)
                    {
                        return;
                    }
                }
            });

            // A working day in 30-minute steps; each host is one seller's application server and also fires due timers.
            var day = hosts.Select((host, h) => Task.Run(async () =>
            {
                var random = new Random(h);
                var seller = host.Kernel.OpenSession(Tenant, Seller(h));
                var admin = host.Kernel.OpenSession(Tenant, Admin);
                var client = await seller.Clients.RegisterAsync(new NewClient($"Client of {h}"));
                for (var step = 0; step < 20; step++)
                {
                    var now = Morning + Duration.FromMinutes(30 * step);
                    host.Clock.Reset(now);
                    var deal = await seller.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(100m * (step + 1), "NOK")));
                    acknowledged.Add("open " + deal.Id.Value);
                    sharedDeals.Add(deal.Id);
                    var task = await seller.Tasks.CreateAsync(new NewWorkTask($"Call {h}/{step}", now + Duration.FromMinutes(61 + random.Next(120))) { Deal = deal.Id });
                    tasks.Add((task.Id, task.Title));
                    acknowledged.Add("task " + task.Id.Value);

                    // Heads move any deal: hosts race on the same records; only acknowledged moves must be in the journal.
                    var pool = sharedDeals.ToArray();
                    for (var m = 0; m < 3; m++)
                    {
                        var target = pool[random.Next(pool.Length)];
                        var moved = await RetryAsync(async () =>
                        {
                            var current = await admin.Deals.GetAsync(target);
                            var to = OpenStages.Where(s => s != current.Stage).ElementAt(random.Next(OpenStages.Length - 1));
                            var after = await admin.Deals.MoveAsync(target, to, current.Version);
                            return new { current.Stage, To = after.Stage };
                        });
                        if (moved is not null)
                        {
                            acknowledged.Add($"move {target.Value} {moved.Stage.Value}->{moved.To.Value}");
                        }
                    }

                    await host.Kernel.Scheduler.RunDueAsync(now);
                    await DeliverAsync(host.Kernel);
                }
            })).ToArray();
            await Task.WhenAll(day);

            // Evening: every host catches up on what is left, all at once.
            var evening = Morning + Duration.FromHours(16);
            await Task.WhenAll(hosts.Select(h => h.Kernel.Scheduler.RunDueAsync(evening)));
            await Task.WhenAll(hosts.Select(h => DeliverAsync(h.Kernel)));
            await DeliverAsync(hosts[0].Kernel);
            await dayOver.CancelAsync();
            await consumer;

            var journal = await ReadAllAsync(hosts[1].Kernel);
            var fromJournal = journal.Skip(setupHead).SelectMany<JournalEntry, string>(e => e.Event switch
            {
                DealOpened o => ["open " + e.StreamId],
                WorkTaskCreated t => ["task " + t.Task.Value],
                DealStageChanged m when e.Cause.Kind == CauseKind.Manual => [$"move {m.Deal.Value} {m.From.Value}->{m.To.Value}"],
                _ => [],
            }).Order(StringComparer.Ordinal);
            // Every acknowledged command exactly once, and nothing that was not acknowledged.
            Assert.Equal(acknowledged.Order(StringComparer.Ordinal), fromJournal);
            Assert.Equal(80, acknowledged.Count(a => a.StartsWith("open ", StringComparison.Ordinal)));

            // Every timer fired exactly once: one reminder and one overdue escalation per task, none left.
            var notes = journal.Select(e => e.Event).OfType<NotificationRequested>().Select(n => n.Subject).ToList();
            foreach (var (_, title) in tasks)
            {
                Assert.Equal(1, notes.Count(n => n == "Reminder: " + title));
                Assert.Equal(1, notes.Count(n => n == "Overdue: " + title));
            }

            Assert.Equal(2 * tasks.Count, notes.Count);
            // The kernel's own journal consumers, run by all four hosts at once, each claimed by one host at a time:
            // every notification delivered exactly once...
            Assert.Equal(notes.Order(StringComparer.Ordinal), messenger.Delivered.Order(StringComparer.Ordinal));
            // ...and every deal event posted to the loopback receiver exactly once, in journal order (so in order per deal).
            var posted = receiver.Received.Select(b => (Position: b.GetProperty("position").GetInt64(), Id: Guid.Parse(b.GetProperty("id").GetString()!),
                Deal: b.GetProperty("stream").GetProperty("id").GetString()!)).ToList();
            var dealEvents = journal.Skip(setupHead).Where(e => e.Event is DealOpened or DealStageChanged).Select(e => (e.Position, e.EventId, Deal: e.StreamId)).ToList();
            Assert.Equal(0, receiver.BadSignatures);
            Assert.Equal(dealEvents, posted);
            foreach (var deal in posted.GroupBy(p => p.Deal))
            {
                Assert.Equal(deal.Select(p => p.Position).Order(), deal.Select(p => p.Position));
            }
            await foreach (var timer in hosts[2].Kernel.Store.ListTimersAsync(Tenant))
            {
                Assert.Fail("timer left over: " + timer.Id);
            }

            // The consumer saw the journal as it is: every position once, in order.
            Assert.Equal(journal.Select(e => (e.Position, e.EventId)), consumed.Select(e => (e.Position, e.EventId)));
            Assert.Equal(Enumerable.Range(1, journal.Count).Select(i => (long)i), journal.Select(e => e.Position));

            // No deal in two stages; each deal's moves, in the consumer's order, chain from its first stage to its stage now.
            var deals = await hosts[0].Kernel.OpenSession(Tenant, Admin).Deals.ListAsync();
            Assert.Equal(80, deals.Count);
            foreach (var deal in deals)
            {
                Assert.Single(deal.History, v => v.LeftAt is null);
                Assert.Equal(deal.Stage, deal.History[^1].Stage);
                var stage = OpenStages[0];
                foreach (var move in consumed.Where(e => e.StreamId == deal.Id.Value).Select(e => e.Event).OfType<DealStageChanged>())
                {
                    Assert.Equal(stage, move.From);
                    stage = move.To;
                }

                Assert.Equal(deal.Stage, stage);
            }

            var verification = await hosts[1].Kernel.VerifyJournalAsync(Tenant);
            Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_host_killed_between_claim_and_commit_leaves_its_timers_to_the_others_after_the_lease()
    {
        var schema = "s" + Guid.NewGuid().ToString("N")[..16];
        var crashing = new DyingStore();
        var doomed = StartHost(schema, timerBatchSize: 10, wrapStore: store => crashing.Wrap(store));
        var survivors = Enumerable.Range(0, 3).Select(_ => StartHost(schema)).ToArray();
        try
        {
            await SetUpAsync(survivors[0].Kernel, 1);
            var seller = survivors[0].Kernel.OpenSession(Tenant, Seller(0));
            for (var i = 0; i < 30; i++)
            {
                await seller.Tasks.CreateAsync(new NewWorkTask($"T{i}", Morning + Duration.FromHours(2)));
            }

            var now = Morning + Duration.FromHours(3); // 30 reminders and 30 overdue escalations are due
            // The doomed host claims 10 timers, prepares their effects and dies before its commit reaches the database.
            var doomedRun = doomed.Kernel.Scheduler.RunDueAsync(now);
            await crashing.AboutToCommit.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await doomed.DisposeAsync();
            crashing.Die();
            var lost = await doomedRun;
            Assert.Equal((10, 0), (lost.Claimed, lost.Fired));

            // The others fire everything else at once, but not the dead host's timers while its lease runs.
            var first = await Task.WhenAll(survivors.Select(h => h.Kernel.Scheduler.RunDueAsync(now)));
            Assert.Equal(50, first.Sum(r => r.Fired));
            var second = await Task.WhenAll(survivors.Select(h => h.Kernel.Scheduler.RunDueAsync(now + Duration.FromSeconds(30))));
            Assert.Equal(0, second.Sum(r => r.Fired));
            // After the lease expired they finish its work.
            var third = await Task.WhenAll(survivors.Select(h => h.Kernel.Scheduler.RunDueAsync(now + Duration.FromMinutes(2))));
            Assert.Equal(10, third.Sum(r => r.Fired));

            var notes = (await ReadAllAsync(survivors[1].Kernel)).Select(e => e.Event).OfType<NotificationRequested>().Select(n => n.Subject).ToList();
            Assert.Equal(60, notes.Count);
            Assert.Equal(60, notes.Distinct().Count());
            await foreach (var timer in survivors[2].Kernel.Store.ListTimersAsync(Tenant))
            {
                Assert.Fail("timer left over: " + timer.Id);
            }
        }
        finally
        {
            foreach (var host in survivors)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_host_killed_while_holding_a_consumer_lease_is_taken_over_after_the_lease_expires()
    {
        var schema = "s" + Guid.NewGuid().ToString("N")[..16];
        var messenger = new Messenger();
        var hanging = new HangingChannel();
        var lease = Duration.FromMinutes(1);
        var doomed = StartHost(schema, messenger: hanging, consumerLease: lease);
        var survivors = Enumerable.Range(0, 3).Select(_ => StartHost(schema, messenger: messenger, consumerLease: lease)).ToArray();
        try
        {
            await SetUpAsync(survivors[0].Kernel, 1);
            var seller = survivors[0].Kernel.OpenSession(Tenant, Seller(0));
            for (var i = 0; i < 10; i++)
            {
                await seller.Tasks.CreateAsync(new NewWorkTask($"T{i}", Morning + Duration.FromHours(2)));
            }

            var now = Morning + Duration.FromHours(3);
            Assert.Equal(20, (await survivors[0].Kernel.Scheduler.RunDueAsync(now)).Fired); // a reminder and an escalation per task
            foreach (var host in survivors.Append(doomed))
            {
                host.Clock.Reset(now);
            }

            // The doomed host claims the notification consumer and hangs in its first delivery, holding the lease.
            var doomedRun = doomed.Kernel.Notifications.DeliverAsync(Tenant);
            await hanging.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
            foreach (var host in survivors)
            {
                host.Clock.Advance(Duration.FromSeconds(30));
            }

            var whileHeld = await Task.WhenAll(survivors.Select(h => h.Kernel.Notifications.DeliverAsync(Tenant)));
            Assert.All(whileHeld, run => Assert.Equal(default, run));

            // Killed mid-page: nothing it did reached the database, and its lease was never released.
            await doomed.DisposeAsync();
            hanging.Die();
            await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => doomedRun);
            var afterDeath = await Task.WhenAll(survivors.Select(h => h.Kernel.Notifications.DeliverAsync(Tenant)));
            Assert.All(afterDeath, run => Assert.Equal(default, run));
            Assert.Empty(messenger.Delivered);

            // Once the lease has expired the survivors, all at once, take the consumer over: one of them delivers the
            // whole page the dead host had started, each notification exactly once.
            foreach (var host in survivors)
            {
                host.Clock.Advance(lease);
            }

            var takeover = await Task.WhenAll(survivors.Select(h => h.Kernel.Notifications.DeliverAsync(Tenant)));
            Assert.Equal(20, takeover.Sum(r => r.Delivered));
            Assert.Equal(1, takeover.Count(r => r.Delivered > 0));
            Assert.Equal(0, takeover.Sum(r => r.Failed));
            var notes = (await ReadAllAsync(survivors[1].Kernel)).Select(e => e.Event).OfType<NotificationRequested>().Select(n => n.Subject);
            Assert.Equal(notes.Order(StringComparer.Ordinal), messenger.Delivered.Order(StringComparer.Ordinal));
            Assert.DoesNotContain((await ReadAllAsync(survivors[1].Kernel)).Select(e => e.Event), e => e is NotificationDeliveryFailed);
        }
        finally
        {
            foreach (var host in survivors)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A store wrapper that lets a host claim timers and then hangs its first commit that completes timers (the host
    /// "freezes" between claim and commit); after <see cref="Die"/> that commit and every later call fail: the host is gone.
    /// </summary>
    private sealed class DyingStore
    {
        private readonly TaskCompletionSource _death = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource AboutToCommit { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ICrmStore Wrap(ICrmStore inner) => new Wrapper(inner, this);

        public void Die() => _death.TrySetException(new ObjectDisposedException("host", "The host was killed."));

        private sealed class Wrapper(ICrmStore inner, DyingStore owner) : ICrmStore
        {
            public ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default) => inner.LoadAsync(tenant, kind, id, cancellationToken);

            public IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, CancellationToken cancellationToken = default) => inner.QueryAsync(tenant, kind, index, cancellationToken);

            public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default) => inner.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken);

            public async ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default)
            {
                if (commit.TimersCompleted.Count > 0)
                {
                    owner.AboutToCommit.TrySetResult();
                    await owner._death.Task;
                }

                return await inner.CommitAsync(commit, cancellationToken);
            }

            public IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, CancellationToken cancellationToken = default) => inner.ReadJournalAsync(tenant, afterPosition, maxCount, cancellationToken);

            public ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default) => inner.ClaimDueTimersAsync(now, lease, maxCount, cancellationToken);

            public IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, CancellationToken cancellationToken = default) => inner.ListTimersAsync(tenant, cancellationToken);

            public ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default) => inner.TryClaimConsumerAsync(tenant, consumer, owner, now, lease, cancellationToken);

            public ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default) => inner.ReleaseConsumerAsync(tenant, consumer, owner, cancellationToken);
        }
    }
}
