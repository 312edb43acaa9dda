using System.Collections.Concurrent;
using Crm.Abstractions.Storage;

namespace Crm.Kernel.Storage;

/// <summary>
/// Aggregate states this kernel read or committed, by tenant, kind and id, with the version and JSON they were stored
/// as. Two uses: (1) any unit that loads a document whose stored JSON equals the cached one reuses the parsed state
/// instead of deserializing it again; (2) a command unit may take the cached state without reading the store at all —
/// its commit then carries a <see cref="DocumentVersionCheck"/> for each such document it did not write (written ones
/// are checked by their expected version anyway), so a stale entry (another host or process changed the document)
/// fails that commit with a conflict and the command runs again on fresh reads. States are immutable records, so an
/// entry is shared safely. Bounded: when full it starts over. Thread-safe.
/// </summary>
internal sealed class AggregateCache(int capacity)
{
    private readonly ConcurrentDictionary<(string Tenant, string Kind, string Id), Entry> _entries = new();
    private int _count;

    public bool Enabled => capacity > 0;

    public bool TryGet(string tenant, string kind, string id, out Entry entry)
    {
        if (capacity == 0)
        {
            entry = null!;
            return false;
        }

        return _entries.TryGetValue((tenant, kind, id), out entry!);
    }

    /// <summary>Remembers a state; a newer version already cached wins over an older one put late.</summary>
    public void Put(string tenant, string kind, string id, Entry entry)
    {
        if (capacity == 0)
        {
            return;
        }

        var key = (tenant, kind, id);
        if (_entries.TryAdd(key, entry))
        {
            if (Interlocked.Increment(ref _count) > capacity)
            {
                // Crude but cheap bound: start over (the working set comes back within a few commands).
                _entries.Clear();
                Interlocked.Exchange(ref _count, 0);
            }

            return;
        }

        _entries.AddOrUpdate(key, entry, (_, old) => old.Version > entry.Version ? old : entry);
    }

    public void Remove(string tenant, string kind, string id) => _entries.TryRemove((tenant, kind, id), out _);

    /// <summary>
    /// A cached state: the stored version and JSON, the parsed state (with that version) and its index entries; or, with
    /// version 0 and no state, a document known not to exist (a command's commit then checks it still does not).
    /// </summary>
    public sealed record Entry(long Version, string? Json, object? State, IReadOnlyList<IndexEntry>? Indexes)
    {
        public static Entry Missing { get; } = new(0, null, null, null);
    }
}
