using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Deals' kinds: deals, written by their own JSON writer.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Deal> Deal = new("deal", (s, v) => s with { Version = v },
            s =>
            [
                new IndexEntry("pipeline", s.Pipeline.Value),
                new IndexEntry("owner", s.Owner.Value),
                new IndexEntry("client", s.Client.Value),
                new IndexEntry("owner-open", s.Status == DealStatus.Open ? s.Owner.Value : "-"),
            ],
            DealJson.Write);
    }
}

namespace Crm.Kernel.Deals
{
    /// <summary>The streams of deals and how their events change them (goals achieved and signals included).</summary>
    internal sealed class DealAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.Deal)
                .On<DealOpened>(e => e.Deal.Value, (s, e, in ctx) => new Deal
                {
                    Id = e.Deal, Client = e.Client, Pipeline = e.Pipeline, Stage = e.Stage, Owner = e.Owner, Amount = e.Amount,
                    Title = e.Title, Source = e.Source, WinProbability = e.WinProbability, ExpectedClose = e.ExpectedClose,
                    Fields = e.Fields, OpenedAt = ctx.OccurredAt,
                    History = [new StageVisit(e.Stage, ctx.OccurredAt, null, ctx.Actor, ctx.Cause)],
                })
                .OnExisting<DealStageChanged>(e => e.Deal.Value, (s, e, in ctx) => Move(s, e, ctx))
                .OnExisting<DealOwnerChanged>(e => e.Deal.Value, (s, e, in ctx) => s with { Owner = e.To })
                .OnExisting<DealAmountChanged>(e => e.Deal.Value, (s, e, in ctx) => s with { Amount = e.Amount })
                .OnExisting<DealFieldSet>(e => e.Deal.Value, (s, e, in ctx) => s with { Fields = WithEntry(s.Fields, e.Name, e.Value) })
                .OnExisting<DealClassifierSet>(e => e.Deal.Value, (s, e, in ctx) => s with { Classifiers = WithEntry(s.Classifiers, e.Name, e.Value) })
                .OnExisting<DealWinProbabilitySet>(e => e.Deal.Value, (s, e, in ctx) => s with { WinProbability = e.Probability })
                .OnExisting<DealExpectedCloseSet>(e => e.Deal.Value, (s, e, in ctx) => s with { ExpectedClose = e.ExpectedClose })
                .OnExisting<GoalAchieved>(e => e.Deal.Value, (s, e, in ctx) => s with { AchievedGoals = [.. s.AchievedGoals, e.Goal] })
                .OnExisting<DealLinesSet>(e => e.Deal.Value, (s, e, in ctx) => s with { Lines = e.Lines.Count == 0 ? null : e.Lines });

            registry.JournalOnly<DealSignalRaised>("deal", e => e.Deal.Value);
        }

        private static Deal Move(Deal deal, DealStageChanged e, in EventContext ctx)
        {
            var history = new List<StageVisit>(deal.History.Count + 1);
            history.AddRange(deal.History);
            if (history.Count > 0)
            {
                history[^1] = history[^1] with { LeftAt = ctx.OccurredAt };
            }

            history.Add(new StageVisit(e.To, ctx.OccurredAt, null, ctx.Actor, ctx.Cause));
            var kind = e.ToKind;
            return deal with
            {
                Stage = e.To,
                History = history,
                Status = kind switch { StageKind.Won => DealStatus.Won, StageKind.Lost => DealStatus.Lost, _ => DealStatus.Open },
                ClosedAt = kind == StageKind.Open ? null : ctx.OccurredAt,
            };
        }
    }
}
