using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Storage;
using Crm.Kernel.Telephony;

namespace Crm.Kernel.Storage
{
    /// <summary>Telephony's kinds: phone calls.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<PhoneCall> Call = new("call", (s, v) => s with { Version = v },
            s => s.Client is { } client ? [new IndexEntry("client", client.Value)] : []);
    }
}

namespace Crm.Kernel.Telephony
{
    /// <summary>The streams of phone calls and how their events change them.</summary>
    internal sealed class TelephonyAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Call)
                .On<CallStarted>(e => e.Call, (s, e, in ctx) => new PhoneCall
                {
                    Id = e.Call, Direction = e.Direction, Number = e.Number, Client = e.Client, User = e.User, StartedAt = ctx.OccurredAt,
                })
                .OnExisting<CallAnswered>(e => e.Call, (s, e, in ctx) => s with { AnsweredBy = e.By, AnsweredAt = ctx.OccurredAt, Client = e.Client ?? s.Client })
                .OnExisting<CallerRecognized>(e => e.Call, (s, e, in ctx) => s with { Client = e.Client })
                .OnExisting<CallEnded>(e => e.Call, (s, e, in ctx) => s with { Ended = true, Missed = e.Missed, Recording = e.Recording });
    }
}
