using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Tasks;

/// <summary>One user's row of the planner: open tasks due on each working day, and those already overdue.</summary>
/// <param name="User">The assignee.</param>
/// <param name="TasksPerDay">Open tasks due on each day of <see cref="Workload.Days"/> (a task due on a non-working day counts on the next working day).</param>
/// <param name="Overdue">Open tasks due before the first day.</param>
/// <param name="Later">Open tasks due after the last day.</param>
public sealed record WorkloadRow(UserId User, IReadOnlyList<int> TasksPerDay, int Overdue, int Later)
{
    /// <summary>All open tasks of the row.</summary>
    public int Total => Overdue + Later + TasksPerDay.Sum();
}

/// <summary>The planner view: open tasks per user per working day.</summary>
/// <param name="Days">The working days covered, in order.</param>
/// <param name="Rows">One row per user with open tasks, in user id order.</param>
public sealed record Workload(IReadOnlyList<LocalDate> Days, IReadOnlyList<WorkloadRow> Rows);
