using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Journal;

/// <summary>Folds a tenant's journal into states and compares them with the stored records.</summary>
internal static class JournalReplay
{
    public static JournalEntry ToEntry(EventTypeRegistry types, JournalRecord record)
    {
        var e = record.Event;
        return new JournalEntry(record.Position, e.EventId, e.StreamKind, e.StreamId, types.Deserialize(e.EventType, e.Payload),
            e.OccurredAt, record.RecordedAt, e.Actor is null ? null : new UserId(e.Actor), e.Cause);
    }

    /// <summary>Replays the journal into a map of (kind, id) to state.</summary>
    public static async Task<(Dictionary<(string Kind, string Id), object> States, long Events)> ReplayAsync(KernelContext context, TenantId tenant, CancellationToken cancellationToken)
    {
        var states = new Dictionary<(string, string), object>();
        long position = 0, count = 0;
        while (true)
        {
            var read = 0;
            await foreach (var record in context.Store.ReadJournalAsync(tenant, position, 5000, cancellationToken).ConfigureAwait(false))
            {
                read++;
                count++;
                position = record.Position;
                var entry = ToEntry(context.EventTypes, record);
                var stream = Projection.StreamOf(entry.Event);
                if (stream.Kind is { } kind)
                {
                    var key = (kind.Name, stream.Id);
                    states.TryGetValue(key, out var current);
                    states[key] = Projection.Apply(current, entry.Event, new EventContext(entry.OccurredAt, entry.Actor, entry.Cause));
                }
            }

            if (read == 0)
            {
                return (states, count);
            }
        }
    }

    public static async Task<JournalVerification> VerifyAsync(KernelContext context, TenantId tenant, CancellationToken cancellationToken)
    {
        var (states, events) = await ReplayAsync(context, tenant, cancellationToken).ConfigureAwait(false);
        var differences = new List<string>();
        var compared = 0;
        foreach (var kind in Kinds.All)
        {
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var document in context.Store.QueryAsync(tenant, kind.Name, null, cancellationToken).ConfigureAwait(false))
            {
                compared++;
                stored.Add(document.Id);
                if (!states.TryGetValue((kind.Name, document.Id), out var replayed))
                {
                    differences.Add($"{kind.Name}/{document.Id} is stored but no journal event created it.");
                }
                else if (kind.Write(replayed) != document.Json)
                {
                    differences.Add($"{kind.Name}/{document.Id} differs from its replayed journal.");
                }
            }

            foreach (var key in states.Keys)
            {
                if (key.Kind == kind.Name && !stored.Contains(key.Id))
                {
                    differences.Add($"{kind.Name}/{key.Id} is in the journal but not stored.");
                }
            }
        }

        return new JournalVerification(events, compared, differences);
    }
}
