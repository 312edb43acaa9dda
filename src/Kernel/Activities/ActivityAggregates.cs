using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Activities;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Activities' kinds: the activity log.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Activity> Activity = new("activity", (s, v) => s with { Version = v },
            s => s.Deal is { } deal
                ? [new IndexEntry("client", s.Client.Value), new IndexEntry("deal", deal.Value)]
                : [new IndexEntry("client", s.Client.Value)]);
    }
}

namespace Crm.Kernel.Activities
{
    /// <summary>The streams of logged activities.</summary>
    internal sealed class ActivityAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Activity)
                .On<ActivityLogged>(e => e.Activity.Value, (s, e, in ctx) => new Activity
                {
                    Id = e.Activity, Kind = e.Kind, Client = e.Client, Deal = e.Deal, By = e.By, Subject = e.Subject,
                    Body = e.Body, At = ctx.OccurredAt, Duration = e.Duration, RecordingReference = e.RecordingReference,
                });
    }
}
