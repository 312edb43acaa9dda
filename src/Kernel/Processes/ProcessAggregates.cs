using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Processes;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Processes' kinds: process instances.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<ProcessInstance> Process = new("process", (s, v) => s with { Version = v },
            s =>
            {
                var entries = new List<IndexEntry>(4);
                if (s.Deal is { } deal)
                {
                    entries.Add(new IndexEntry("deal", deal.Value));
                }

                if (s.Status == ProcessStatus.Running)
                {
                    entries.Add(new IndexEntry("status", "running"));
                    foreach (var wait in s.Waits)
                    {
                        entries.Add(new IndexEntry("waiting", $"{wait.EventType}:{s.Deal?.Value}"));
                    }
                }

                return entries;
            });
    }
}

namespace Crm.Kernel.Processes
{
    /// <summary>The streams of process instances and how their events change them; a start request is journaled on its deal.</summary>
    internal sealed class ProcessAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Process)
                .On<ProcessStarted>(e => e.Process.Value, (s, e, in ctx) => new ProcessInstance
                {
                    Id = e.Process, TemplateId = e.TemplateId, TemplateVersion = e.TemplateVersion, Deal = e.Deal, Client = e.Client,
                    Roles = e.Roles, Variables = e.Variables, StartedAt = ctx.OccurredAt, StepEnteredAt = ctx.OccurredAt, Status = ProcessStatus.Running,
                })
                .OnExisting<ProcessStepEntered>(e => e.Process.Value, (s, e, in ctx) => s with
                {
                    CurrentStep = e.Step,
                    StepEnteredAt = ctx.OccurredAt,
                    StepDeadline = e.Deadline,
                    Waits = e.Completed ? [] : e.Waits,
                    Status = e.Completed ? ProcessStatus.Completed : ProcessStatus.Running,
                    History = [.. s.History, new ProcessStepVisit(e.Step, ctx.OccurredAt, e.Trigger)],
                })
                .OnExisting<ProcessCancelled>(e => e.Process.Value, (s, e, in ctx) => s with { Status = ProcessStatus.Cancelled, CancelReason = e.Reason, Waits = [] });

            registry.JournalOnly<ProcessStartRequested>("deal", e => e.Deal.Value);
        }
    }
}
