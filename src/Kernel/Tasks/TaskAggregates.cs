using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;

namespace Crm.Kernel.Storage
{
    /// <summary>Tasks' kinds: work tasks.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<WorkTask> Task = new("task", (s, v) => s with { Version = v },
            s =>
            {
                var entries = new List<IndexEntry>(3) { new("assignee", s.Assignee.Value) };
                if (s.Status == WorkTaskStatus.Open)
                {
                    entries.Add(new IndexEntry("assignee-open", s.Assignee.Value));
                }

                if (s.Deal is { } deal)
                {
                    entries.Add(new IndexEntry("deal", deal.Value));
                }

                return entries;
            });
    }
}

namespace Crm.Kernel.Tasks
{
    /// <summary>The streams of work tasks and how their events change them.</summary>
    internal sealed class TaskAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Task)
                .On<WorkTaskCreated>(e => e.Task.Value, (s, e, in ctx) => new WorkTask
                {
                    Id = e.Task, Title = e.Title, Assignee = e.Assignee, Due = e.Due, Deal = e.Deal, Client = e.Client,
                    CreatedAt = ctx.OccurredAt,
                })
                .OnExisting<WorkTaskCompleted>(e => e.Task.Value, (s, e, in ctx) => s with { Status = WorkTaskStatus.Done, ClosedAt = ctx.OccurredAt })
                .OnExisting<WorkTaskReassigned>(e => e.Task.Value, (s, e, in ctx) => s with { Assignee = e.To })
                .OnExisting<WorkTaskCancelled>(e => e.Task.Value, (s, e, in ctx) => s with { Status = WorkTaskStatus.Cancelled, ClosedAt = ctx.OccurredAt });
    }
}
