using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Tasks;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Scheduling;

public sealed class SchedulerTests
{
    [Fact]
    public async Task Task_reminder_then_overdue_escalation_to_the_head()
    {
        await using var k = await WithOrganizationAsync();
        var task = await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Send the offer", Start + Duration.FromDays(2)));
        var before = await k.JournalHeadAsync();

        Assert.Equal(0, (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(1))).Fired);
        Assert.Equal(1, (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(2) - Duration.FromMinutes(30))).Fired);
        Assert.Equal(1, (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(3))).Fired);
        Assert.Equal(0, (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(30))).Fired);

        var notes = (await k.Session(Admin).Journal.ListAsync(before)).Select(e => e.Event).OfType<NotificationRequested>().ToArray();
        Assert.Collection(notes,
            n => Assert.Equal((Seller1, "Reminder: Send the offer"), (n.Recipient, n.Subject)),
            n => Assert.Equal((Head1, "Overdue: Send the offer"), (n.Recipient, n.Subject)));
        Assert.Equal(task.Id, (await k.Session(Seller1).Tasks.ListAsync()).Single().Id);
    }

    [Fact]
    public async Task Completing_a_task_cancels_its_timers_in_the_same_unit()
    {
        await using var k = await WithOrganizationAsync();
        var task = await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromDays(2)));
        Assert.Equal(2, await CountTimersAsync(k));

        await k.Session(Seller1).Tasks.CompleteAsync(task.Id);

        Assert.Equal(0, await CountTimersAsync(k));
        Assert.Equal(0, (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(10))).Claimed);
    }

    [Fact]
    public async Task Reassigned_task_reminds_the_new_assignee()
    {
        await using var k = await WithOrganizationAsync();
        var task = await k.Session(Head1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromDays(2)) { Assignee = Seller1 });
        await k.Session(Head1).Tasks.ReassignAsync(task.Id, Seller2);
        var before = await k.JournalHeadAsync();

        await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(2) - Duration.FromMinutes(1));

        var note = Assert.IsType<NotificationRequested>(Assert.Single(await k.Session(Admin).Journal.ListAsync(before)).Event);
        Assert.Equal(Seller2, note.Recipient);
    }

    [Fact]
    public async Task After_downtime_timers_catch_up_in_due_order()
    {
        await using var k = await WithOrganizationAsync();
        for (var i = 9; i >= 0; i--)
        {
            await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask($"T{i}", Start + Duration.FromDays(1 + i)));
        }

        var before = await k.JournalHeadAsync();
        var run = await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromDays(60));

        Assert.Equal(20, run.Fired);
        var order = (await k.Session(Admin).Journal.ListAsync(before)).Select(e => ((NotificationRequested)e.Event).Subject).ToArray();
        var expected = Enumerable.Range(0, 10).SelectMany(i => new[] { $"Reminder: T{i}", $"Overdue: T{i}" }).ToArray();
        Assert.Equal(expected, order);
    }

    [Fact]
    public async Task A_month_of_simulated_time_fires_every_timer_once()
    {
        await using var k = await WithOrganizationAsync();
        for (var i = 0; i < 100; i++)
        {
            await k.Session(i % 2 == 0 ? Seller1 : Seller3).Tasks.CreateAsync(new NewWorkTask($"T{i}", Start + Duration.FromHours(7 * i + 2)));
        }

        var before = await k.JournalHeadAsync();
        var fired = 0;
        for (var hour = 0; hour <= 31 * 24; hour++)
        {
            fired += (await k.Kernel.Scheduler.RunDueAsync(Start + Duration.FromHours(hour))).Fired;
        }

        Assert.Equal(200, fired);
        var subjects = (await k.Session(Admin).Journal.ListAsync(before, 10_000)).Select(e => ((NotificationRequested)e.Event).Subject).ToArray();
        Assert.Equal(200, subjects.Distinct().Count());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Runner_killed_between_claim_and_commit_never_loses_or_doubles_an_effect(int seed)
    {
        await using var k = await WithOrganizationAsync();
        for (var i = 0; i < 30; i++)
        {
            await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask($"T{i}", Start + Duration.FromHours(2 + i)));
        }

        var before = await k.JournalHeadAsync();
        var random = new Random(seed);
        k.Kernel.Scheduler.BeforeCommit = _ =>
        {
            if (random.NextDouble() < 0.4)
            {
                throw new InvalidOperationException("simulated crash between claim and commit");
            }
        };
        var now = Start + Duration.FromDays(3);
        for (var attempt = 0; attempt < 60; attempt++)
        {
            await k.Kernel.Scheduler.RunDueAsync(now);
            now += Duration.FromMinutes(2); // past the 1-minute lease: crashed claims become claimable again
        }

        k.Kernel.Scheduler.BeforeCommit = null;
        await k.Kernel.Scheduler.RunDueAsync(now + Duration.FromMinutes(2));

        var subjects = (await k.Session(Admin).Journal.ListAsync(before, 10_000)).Select(e => ((NotificationRequested)e.Event).Subject).ToArray();
        Assert.Equal(60, subjects.Length);
        Assert.Equal(60, subjects.Distinct().Count());
        Assert.Equal(0, await CountTimersAsync(k));
    }

    [Fact]
    public async Task A_claim_lost_to_another_runner_writes_no_effect()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("T", Start + Duration.FromHours(3)));
        var store = k.Kernel.Store;
        var now = Start + Duration.FromHours(4);
        var stolen = false;
        k.Kernel.Scheduler.BeforeCommit = group =>
        {
            if (!stolen)
            {
                stolen = true;
                // Another host claims the same timers after our lease expired, before our commit.
                _ = store.ClaimDueTimersAsync(now + Duration.FromMinutes(5), Duration.FromMinutes(1), 10).AsTask().GetAwaiter().GetResult();
            }
        };
        var before = await k.JournalHeadAsync();

        var run = await k.Kernel.Scheduler.RunDueAsync(now);

        Assert.Equal(0, run.Fired);
        Assert.True(run.Lost > 0);
        Assert.Equal(before, await k.JournalHeadAsync());
    }

    private static async Task<int> CountTimersAsync(TestKernel k)
    {
        var count = 0;
        await foreach (var _ in k.Kernel.Store.ListTimersAsync(k.Tenant))
        {
            count++;
        }

        return count;
    }
}
