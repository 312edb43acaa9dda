using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Organization;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>The organization's kinds: users and teams.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<CrmUser> User = new("user", (s, v) => s with { Version = v },
            s =>
            {
                var entries = new List<IndexEntry>(2);
                if (s.Team is { } team)
                {
                    entries.Add(new IndexEntry("team", team.Value));
                }

                if (s.Extension is { } extension)
                {
                    entries.Add(new IndexEntry("extension", extension));
                }

                return entries;
            });

        public static readonly AggregateKind<Team> Team = new("team", (s, v) => s with { Version = v },
            s => [new IndexEntry("head", s.Head.Value)]);
    }
}

namespace Crm.Kernel.Organization
{
    /// <summary>The streams of users and teams and how their events change them.</summary>
    internal sealed class OrganizationAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry)
        {
            registry.Stream(Kinds.User)
                .On<UserRegistered>(e => e.User.Value, (s, e, in ctx) => new CrmUser
                {
                    Id = e.User, Name = e.Name, Role = e.Role, Team = e.Team, Email = e.Email, TimeZone = e.TimeZone, Extension = e.Extension,
                })
                .OnExisting<UserDeactivated>(e => e.User.Value, (s, e, in ctx) => s with { IsActive = false });

            registry.Stream(Kinds.Team)
                .On<TeamDefined>(e => e.Team.Value, (s, e, in ctx) => s is { } t
                    ? t with { Name = e.Name, Head = e.Head }
                    : new Team { Id = e.Team, Name = e.Name, Head = e.Head })
                .OnExisting<RoundRobinAdvanced>(e => e.Team.Value, (s, e, in ctx) => s with { LastRoundRobin = e.AssignedTo });
        }
    }
}
