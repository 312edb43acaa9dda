using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Storage
{
    /// <summary>Clients' kinds: client cards.</summary>
    internal static partial class Kinds
    {
        public static readonly AggregateKind<Client> Client = new("client", (s, v) => s with { Version = v },
            s => [new IndexEntry("owner", s.Owner.Value)]);
    }
}

namespace Crm.Kernel.Clients
{
    /// <summary>The streams of client cards and how their events change them.</summary>
    internal sealed class ClientAggregates : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Client)
                .On<ClientRegistered>(e => e.Client.Value, (s, e, in ctx) => new Client
                {
                    Id = e.Client, Kind = e.Kind, Name = e.Name, Contacts = e.Contacts, Region = e.Region, City = e.City,
                    Industry = e.Industry, Owner = e.Owner, RegisteredAt = e.RegisteredAt,
                })
                .OnExisting<ClientContactsAdded>(e => e.Client.Value, (s, e, in ctx) => AddContacts(s, e.Contacts))
                .OnExisting<ClientClassifierSet>(e => e.Client.Value, (s, e, in ctx) => s with { Classifiers = WithEntry(s.Classifiers, e.Name, e.Value) })
                .OnExisting<ClientOwnerChanged>(e => e.Client.Value, (s, e, in ctx) => s with { Owner = e.To });

        private static Client AddContacts(Client client, IReadOnlyList<ClientContact> contacts) =>
            client with { Contacts = [.. client.Contacts, .. contacts] };
    }
}
