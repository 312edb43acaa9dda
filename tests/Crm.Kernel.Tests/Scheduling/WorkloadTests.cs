using Crm.Kernel.Tasks;
using NodaTime;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Scheduling;

public sealed class WorkloadTests
{
    [Fact]
    public async Task Planner_counts_open_tasks_per_user_per_working_day_for_three_weeks()
    {
        await using var k = await WithOrganizationAsync();
        // Start is Monday 2 March 2026, 09:00 UTC (the default calendar: Monday to Friday, UTC here).
        var head = k.Session(Head1);
        await head.Tasks.CreateAsync(new NewWorkTask("today", Start + Duration.FromHours(2)) { Assignee = Seller1 });
        await head.Tasks.CreateAsync(new NewWorkTask("today too", Start + Duration.FromHours(5)) { Assignee = Seller1 });
        await head.Tasks.CreateAsync(new NewWorkTask("saturday → monday", Start + Duration.FromDays(5)) { Assignee = Seller1 });
        await head.Tasks.CreateAsync(new NewWorkTask("next week", Start + Duration.FromDays(8)) { Assignee = Seller2 });
        await head.Tasks.CreateAsync(new NewWorkTask("in a month", Start + Duration.FromDays(30)) { Assignee = Seller2 });
        var done = await head.Tasks.CreateAsync(new NewWorkTask("done", Start + Duration.FromHours(1)) { Assignee = Seller2 });
        await k.Session(Seller2).Tasks.CompleteAsync(done.Id);
        k.Clock.Advance(Duration.FromDays(1));
        await head.Tasks.CreateAsync(new NewWorkTask("late", Start) { Assignee = Seller2 });

        var workload = await head.Tasks.GetWorkloadAsync(new LocalDate(2026, 3, 2));

        Assert.Equal(15, workload.Days.Count);
        Assert.Equal(new LocalDate(2026, 3, 20), workload.Days[^1]);
        Assert.DoesNotContain(workload.Days, d => d.DayOfWeek is IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday);
        var s1 = workload.Rows.Single(r => r.User == Seller1);
        Assert.Equal(2, s1.TasksPerDay[0]);
        Assert.Equal(1, s1.TasksPerDay[5]); // Saturday 7 March counts on Monday 9 March
        var s2 = workload.Rows.Single(r => r.User == Seller2);
        Assert.Equal((1, 0, 1), (s2.TasksPerDay[6], s2.Overdue, s2.Later));
        var fromTomorrow = await head.Tasks.GetWorkloadAsync(new LocalDate(2026, 3, 3));
        Assert.Equal(1, fromTomorrow.Rows.Single(r => r.User == Seller2).Overdue);
        Assert.Equal(2, fromTomorrow.Rows.Single(r => r.User == Seller1).Overdue);
        Assert.DoesNotContain((await k.Session(Seller1).Tasks.GetWorkloadAsync(new LocalDate(2026, 3, 2))).Rows, r => r.User == Seller2);
    }
}
