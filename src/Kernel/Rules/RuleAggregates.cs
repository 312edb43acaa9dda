using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Rules' kinds: the tenant's rule book and the rule instances running on deals.</summary>
    internal static partial class Kinds
    {
        /// <summary>The id of the tenant's one rule book.</summary>
        public const string RuleBookId = "rules";

        public static readonly AggregateKind<RuleBook> RuleBook = new("rulebook", (s, v) => s with { Version = v }, _ => []);

        public static readonly AggregateKind<RuleInstance> RuleInstance = new("rule-instance", (s, v) => s with { Version = v },
            s => s.Outcome == RuleOutcome.Pending
                ? [new IndexEntry("rule", s.Rule.Value), new IndexEntry("deal", s.Deal.Value), new IndexEntry("active-deal", s.Deal.Value)]
                : [new IndexEntry("rule", s.Rule.Value), new IndexEntry("deal", s.Deal.Value)]);
    }
}

namespace Crm.Kernel.Rules
{
    /// <summary>The streams of the rule book and of rule instances, and how their events change them.</summary>
    internal sealed class RuleAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.RuleBook)
                .On<RuleDefined>(_ => Kinds.RuleBookId, (s, e, in ctx) =>
                    AddVersion(SetRule(s ?? new RuleBook(), e.Rule.Value, r => new StoredRule(e.Version, e.DefinitionJson, r?.Enabled ?? true)), e))
                .OnExisting<RuleEnabledChanged>(_ => Kinds.RuleBookId, (s, e, in ctx) => SetRule(s, e.Rule.Value, r => r! with { Enabled = e.Enabled }));

            registry.Stream(Kinds.RuleInstance)
                .On<RuleTriggered>(e => e.Instance, (s, e, in ctx) => new RuleInstance
                {
                    Id = e.Instance, Rule = e.Rule, RuleVersion = e.RuleVersion, Deal = e.Deal, Stage = e.Stage, StartedAt = ctx.OccurredAt,
                    Deadline = e.Deadline, PendingActions = e.ScheduledActions,
                })
                .OnExisting<RuleScheduledActionDone>(e => e.Instance, (s, e, in ctx) => s with { PendingActions = Math.Max(0, s.PendingActions - 1) })
                .OnExisting<RuleExceptionRequested>(e => e.Instance, (s, e, in ctx) => s with
                {
                    ExceptionFlag = e.Flag, ExceptionReason = e.Reason, ExceptionApprover = e.Approver, ExceptionStatus = ExceptionStatus.Pending,
                })
                .OnExisting<RuleExceptionDecided>(e => e.Instance, (s, e, in ctx) => s with
                {
                    ExceptionStatus = e.Approved ? ExceptionStatus.Approved : ExceptionStatus.Rejected,
                    Deadline = e.NewDeadline ?? s.Deadline,
                })
                .OnExisting<RuleOutcomeRecorded>(e => e.Instance, (s, e, in ctx) => s with
                {
                    Outcome = e.Outcome switch { "met" => RuleOutcome.Met, "violated" => RuleOutcome.Violated, _ => RuleOutcome.Exempted },
                    OutcomeDetail = e.Detail,
                    EndedAt = ctx.OccurredAt,
                });
        }

        private static RuleBook SetRule(RuleBook book, string rule, Func<StoredRule?, StoredRule> change)
        {
            var rules = new SortedDictionary<string, StoredRule>(StringComparer.Ordinal);
            foreach (var pair in book.Rules)
            {
                rules[pair.Key] = pair.Value;
            }

            rules[rule] = change(rules.GetValueOrDefault(rule));
            return book with { Rules = rules };
        }

        private static RuleBook AddVersion(RuleBook book, RuleDefined e)
        {
            var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in book.Versions)
            {
                versions[pair.Key] = pair.Value;
            }

            versions[$"{e.Rule}@{e.Version}"] = e.DefinitionJson;
            return book with { Versions = versions };
        }
    }
}
