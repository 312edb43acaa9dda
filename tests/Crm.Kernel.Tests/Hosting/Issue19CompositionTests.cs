using System.Reflection;
using Crm.Abstractions.Events;
using Crm.Abstractions.Ports;
using Crm.Kernel.Hosting;
using Crm.Kernel.Integration;
using Crm.Kernel.Notifications;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using Crm.Kernel.Tests.Integration;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Testing;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Hosting;

/// <summary>Issue 19 point 4: the kernel composed by the container, options validated on start, one retry model.</summary>
public sealed class Issue19CompositionTests
{
    private static async Task<string> HostStartFailureAsync(Action<CrmKernelBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCrmKernel(configure);
        using var host = builder.Build();
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => host.StartAsync());
        return error.Message;
    }

    /// <summary>Guards: a bad kernel option stops the host at start, with a message that names the option.</summary>
    [Fact]
    public async Task Issue19_bad_kernel_options_fail_at_host_start_naming_the_option()
    {
        var message = await HostStartFailureAsync(crm => crm.UseInMemoryStore().Configure(o => o.KanbanPageSize = 0));

        Assert.Contains("CrmKernelOptions.KanbanPageSize must be from 1 to 1000; got 0", message);
    }

    /// <summary>Guards: bad webhook options (the retry shape and the attempt timeout) stop the host at start, each named.</summary>
    [Fact]
    public async Task Issue19_bad_webhook_options_fail_at_host_start_naming_the_option()
    {
        var message = await HostStartFailureAsync(crm => crm.UseInMemoryStore().Configure(o =>
        {
            o.Webhooks.Retry.MaxAttempts = 0;
            o.Webhooks.AttemptTimeout = Duration.Zero;
        }));

        Assert.Contains("CrmKernelOptions.Webhooks.Retry.MaxAttempts must be from 1 to 21; got 0", message);
        Assert.Contains("CrmKernelOptions.Webhooks.AttemptTimeout must be from 10 ms to 1 day", message);
    }

    /// <summary>Guards: notification retries use the same shape and are validated the same way.</summary>
    [Fact]
    public async Task Issue19_bad_notification_retry_options_fail_at_host_start_naming_the_option()
    {
        var message = await HostStartFailureAsync(crm => crm.UseInMemoryStore().Configure(o =>
        {
            o.NotificationRetry.FirstDelay = Duration.FromMinutes(10);
            o.NotificationRetry.MaxDelay = Duration.FromMinutes(1);
        }));

        Assert.Contains("CrmKernelOptions.NotificationRetry.MaxDelay must be at least CrmKernelOptions.NotificationRetry.FirstDelay", message);
    }

    /// <summary>Guards: bad SQLite store options no longer throw at registration but stop the host at start, named.</summary>
    [Fact]
    public async Task Issue19_bad_sqlite_options_fail_at_host_start_naming_the_option()
    {
        var file = Path.Combine(Path.GetTempPath(), $"crm-issue19-{Guid.NewGuid():N}.db");
        var message = await HostStartFailureAsync(crm => crm.UseSqlite("Data Source=" + file, o => o.MaxGroupCommitSize = 0));

        Assert.Contains("SqliteStoreOptions.MaxGroupCommitSize must be from 1 to 10000; got 0", message);
        Assert.False(File.Exists(file), "the store must not be opened when its options are invalid");
    }

    /// <summary>Guards: SQLite options may come after UseSqlite (e.g. from configuration) and are validated with it.</summary>
    [Fact]
    public async Task Issue19_sqlite_options_configured_after_UseSqlite_are_validated_on_start()
    {
        var message = await HostStartFailureAsync(crm =>
        {
            crm.UseSqlite("Data Source=" + Path.Combine(Path.GetTempPath(), $"crm-issue19-{Guid.NewGuid():N}.db"));
            crm.Services.Configure<SqliteStoreOptions>(o => o.BusyTimeout = TimeSpan.Zero);
        });

        Assert.Contains("SqliteStoreOptions.BusyTimeout", message);
    }

    /// <summary>
    /// Guards: the kernel's parts are built by the container, once, and the kernel and its sessions use those very
    /// instances (nothing is newed up inside <see cref="CrmKernel"/>).
    /// </summary>
    [Fact]
    public void Issue19_the_container_builds_the_kernel_parts_and_the_kernel_receives_them()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(new FakeClock(Start));
        services.AddCrmKernel(crm => crm.UseInMemoryStore());
        using var provider = services.BuildServiceProvider();

        var kernel = provider.GetRequiredService<CrmKernel>();

        Assert.Same(provider.GetRequiredService<ProcessEngine>(), kernel.Parts.Processes);
        Assert.Same(provider.GetRequiredService<RuleEngine>(), kernel.Parts.Rules);
        Assert.Same(provider.GetRequiredService<Crm.Kernel.Methodologies.MethodologyCatalog>(), kernel.Parts.Methodologies);
        Assert.Same(provider.GetRequiredService<Crm.Kernel.Clients.ContactNormalizer>(), kernel.Parts.Contacts);
        Assert.Same(provider.GetRequiredService<KernelContext>(), kernel.Context);
        Assert.Same(provider.GetRequiredService<AggregateCache>(), kernel.Context.Cache);
        Assert.Same(provider.GetRequiredService<WebhookDelivery>(), kernel.Webhooks);
        Assert.Same(provider.GetRequiredService<NotificationDelivery>(), kernel.Notifications);
        Assert.Same(provider.GetRequiredService<Crm.Kernel.Scheduling.CrmScheduler>(), kernel.Scheduler);
        Assert.Same(provider.GetRequiredService<Crm.Kernel.Telephony.TelephonyIntake>(), kernel.Telephony);
        Assert.Same(provider.GetRequiredService<OrderIntake>(), kernel.Orders);
        Assert.Contains(provider.GetRequiredService<RuleEngine>(), kernel.Context.Reactors);
        var session = kernel.OpenSession(new Crm.Abstractions.TenantId("acme"), Admin);
        Assert.Same(kernel.Parts, session.Parts);
        Assert.Same(kernel.Context, session.Context);
    }

    /// <summary>
    /// Guards: neither the unit-of-work context nor the parts sessions share can be changed after the container built
    /// them (the mutable TelephonyGateway setter is gone), and the context holds no engine or adapter.
    /// </summary>
    [Fact]
    public void Issue19_the_kernel_context_and_parts_are_immutable_and_the_context_is_no_service_locator()
    {
        foreach (var type in new[] { typeof(KernelContext), typeof(KernelParts) })
        {
            var settable = type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(p => p.SetMethod is not null).Select(p => p.Name);
            Assert.Empty(settable);
            var mutableFields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => !f.IsInitOnly && !typeof(Delegate).IsAssignableFrom(f.FieldType)).Select(f => f.Name);
            Assert.Empty(mutableFields);
        }

        var held = typeof(KernelContext).GetProperties(BindingFlags.Instance | BindingFlags.Public).Select(p => p.Name).Order().ToArray();
        Assert.Equal(["Cache", "Clock", "EventTypes", "Ids", "MaxReactionDepth", "Reactors", "Store"], held);
    }

    /// <summary>
    /// Guards the one retry model: the first retry after FirstDelay, each next one twice as long, capped at MaxDelay,
    /// none after MaxAttempts; the same schedule on every call (no jitter), so it is deterministic under a fake clock.
    /// </summary>
    [Fact]
    public void Issue19_the_retry_schedule_doubles_caps_and_stops()
    {
        var schedule = new RetrySchedule(new RetryOptions { MaxAttempts = 6, FirstDelay = Duration.FromMinutes(1), MaxDelay = Duration.FromMinutes(5) });
        var now = Start;

        var delays = Enumerable.Range(1, 5).Select(n => schedule.NextAttemptAt(now, n)!.Value - now).ToArray();

        Assert.Equal([Duration.FromMinutes(1), Duration.FromMinutes(2), Duration.FromMinutes(4), Duration.FromMinutes(5), Duration.FromMinutes(5)], delays);
        Assert.Null(schedule.NextAttemptAt(now, 6));
        Assert.Equal(delays, Enumerable.Range(1, 5).Select(n => schedule.NextAttemptAt(now, n)!.Value - now).ToArray());
    }

    /// <summary>Guards: notification retries journal their next attempt from the shared schedule, on the kernel's (fake) clock.</summary>
    [Fact]
    public async Task Issue19_notification_retries_follow_the_shared_schedule_on_the_kernel_clock()
    {
        var channel = new AlwaysFailingChannel();
        await using var k = await WithOrganizationAsync(configure: s => s.AddSingleton<INotificationChannel>(channel)
            .Configure<CrmKernelOptions>(o => o.NotificationRetry = new RetryOptions { MaxAttempts = 4, FirstDelay = Duration.FromMinutes(10), MaxDelay = Duration.FromMinutes(15) }));
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));
        await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(2) + Duration.FromMinutes(30));
        var expected = new RetrySchedule(new RetryOptions { MaxAttempts = 4, FirstDelay = Duration.FromMinutes(10), MaxDelay = Duration.FromMinutes(15) });

        var seen = new List<(int Attempts, Instant? Next)>();
        for (var i = 0; i < 4; i++)
        {
            await k.Kernel.Notifications.DeliverAsync(k.Tenant);
            var failed = Assert.Single(await k.Kernel.Notifications.FailedAsync(k.Tenant));
            seen.Add((failed.Attempts, failed.NextAttemptAt));
            Assert.Equal(expected.NextAttemptAt(k.Clock.GetCurrentInstant(), failed.Attempts), failed.NextAttemptAt);
            if (failed.NextAttemptAt is { } next)
            {
                k.Clock.Reset(next);
            }
        }

        Assert.Equal([1, 2, 3, 4], seen.Select(s => s.Attempts));
        Assert.Null(seen[^1].Next);
        Assert.Equal(Duration.FromMinutes(15) + Duration.FromMinutes(15), seen[2].Next!.Value - seen[0].Next!.Value);   // 20 and 40 capped at 15
    }

    /// <summary>
    /// Guards: deliveries run outside the scheduler's timer tick. A webhook endpoint that never answers holds its
    /// delivery for the whole attempt timeout (30 s here); a timer that becomes due meanwhile still fires at once.
    /// Before, the scheduler's hosted loop delivered webhooks after firing timers, so the timer waited for the peer.
    /// </summary>
    [Fact]
    public async Task Issue19_a_hanging_webhook_peer_does_not_delay_a_due_timer()
    {
        const string secret = "a-very-secret-key-of-the-shop";
        await using var server = new LoopbackWebhookServer(secret) { Mode = "slow" };
        var clock = new FakeClock(Start);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IClock>(clock);
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().Configure(o =>
        {
            o.SchedulerPollInterval = Duration.FromMilliseconds(20);
            o.DeliveryPollInterval = Duration.FromMilliseconds(20);
            o.Webhooks = new WebhookOptions { AttemptTimeout = Duration.FromSeconds(30), Retry = new RetryOptions { MaxAttempts = 1, FirstDelay = Duration.Zero, MaxDelay = Duration.Zero } };
        }));
        using var host = builder.Build();
        await using var k = Wrap(host.Services.GetRequiredService<CrmKernel>(), clock);
        await k.SetUpOrganizationAsync();
        await k.Session(Admin).Webhooks.RegisterAsync(server.Url, secret, ["DealStageChanged"]);
        var deal = await k.DealAsync(Seller1);
        await k.Session(Seller1).Deals.MoveAsync(deal.Id, Proposal);
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));

        await host.StartAsync();
        try
        {
            for (var i = 0; i < 250 && server.Attempts == 0; i++)
            {
                await Task.Delay(20);
            }

            Assert.True(server.Attempts > 0, "the webhook delivery did not reach the endpoint within 5 s");
            await Task.Delay(100);
            clock.Advance(Duration.FromHours(4));                  // the task's overdue timer is due now
            var fired = false;
            for (var i = 0; i < 150 && !fired; i++)
            {
                await Task.Delay(20);
                fired = (await k.Session(Admin).Journal.ListAsync()).Any(e => e.Event is NotificationRequested { Subject: "Overdue: Call" });
            }

            Assert.True(fired, "the due timer did not fire within 3 s while a webhook endpoint hung");
            Assert.Empty(server.Received);                            // the endpoint was still hanging
        }
        finally
        {
            server.Mode = "up";
            await host.StopAsync();
        }
    }

    private sealed class AlwaysFailingChannel : INotificationChannel
    {
        public string Name => "always-failing";

        public Task DeliverAsync(Crm.Abstractions.Ports.Notification notification, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the channel is down");
    }
}
