using Crm.Abstractions;
using Crm.Abstractions.Storage;

namespace Crm.Kernel.Storage;

/// <summary>How one aggregate type is stored: its kind name, its JSON and its index entries.</summary>
internal abstract class AggregateKind
{
    protected AggregateKind(string name) => Name = name;

    public string Name { get; }

    public abstract object Read(StoredDocument document);

    public abstract string Write(object state);

    public abstract IReadOnlyList<IndexEntry> Indexes(object state);

    public abstract object WithVersion(object state, long version);
}

internal sealed class AggregateKind<T>(string name, Func<T, long, T> withVersion, Func<T, IReadOnlyList<IndexEntry>> indexes,
    Func<T, string>? write = null)
    : AggregateKind(name)
    where T : class
{
    public override object Read(StoredDocument document) => withVersion(CrmJson.Deserialize<T>(document.Json), document.Version);

    public T WithVersion(T state, long version) => withVersion(state, version);

    public override object WithVersion(object state, long version) => withVersion((T)state, version);

    /// <summary>The state's JSON: the kind's own writer when it has one (the deal kind has a hand-written one), else the serializer's.</summary>
    public override string Write(object state) => write is null ? CrmJson.Serialize((T)state) : write((T)state);

    public override IReadOnlyList<IndexEntry> Indexes(object state) => indexes((T)state);
}

/// <summary>
/// The aggregate kinds of the kernel. Each capability folder declares its own kinds in a part of this class, in its
/// aggregates file (e.g. <c>Deals/DealAggregates.cs</c>); this part only lists them, as its registrations found them.
/// </summary>
internal static partial class Kinds
{
    /// <summary>Every kind, ordered by name.</summary>
    public static IReadOnlyList<AggregateKind> All => AggregateRegistry.Kernel.Kinds;
}
