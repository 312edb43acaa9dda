using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using NodaTime;

namespace Crm.Kernel.Storage;

/// <summary>
/// One command's unit of work: loads aggregates with their versions, applies events through <see cref="Projection"/>,
/// runs reaction cascades breadth-first with a depth limit, and commits state + journal + keys + timers at once.
/// Not thread-safe: one command, one unit.
/// </summary>
internal sealed class UnitOfWork
{
    private readonly KernelContext _context;
    private readonly Dictionary<(string Kind, string Id), Tracked> _tracked = new();
    private readonly List<JournalAppend> _events = new();
    private readonly List<UniqueKeyChange> _keys = new();
    private readonly List<ScheduledTimer> _timersToSet = new();
    private readonly List<string> _timersToCancel = new();
    private readonly List<TimerCompletion> _timersCompleted = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly List<string> _chain = new();
    private readonly bool _cachedReads;
    private int _depth;
    private bool _committed;

    public UnitOfWork(KernelContext context, TenantId tenant, UserId? actor, Instant now, bool cachedReads = false)
    {
        _context = context;
        Tenant = tenant;
        Actor = actor;
        Now = now;
        _cachedReads = cachedReads;
    }

    /// <summary>True when some state this unit works on came from the cache without a store read (it may be stale).</summary>
    public bool ReadFromCache { get; private set; }

    /// <summary>True once the store accepted this unit's commit: from then on the command must not run again.</summary>
    public bool Stored { get; private set; }

    public TenantId Tenant { get; }

    public UserId? Actor { get; }

    /// <summary>Set when the session's user has a read-only permission set: the unit then refuses to commit any event.</summary>
    public UserId? ReadOnlyActor { get; set; }

    /// <summary>The command's instant: read once from the clock so the whole unit agrees on "now".</summary>
    public Instant Now { get; }

    public KernelContext Context => _context;

    public IReadOnlyList<JournalAppend> PendingEvents => _events;

    public async ValueTask<T?> FindAsync<T>(AggregateKind<T> kind, string id, CancellationToken cancellationToken)
        where T : class
    {
        var key = (kind.Name, id);
        if (_tracked.TryGetValue(key, out var tracked))
        {
            return (T?)tracked.State;
        }

        tracked = await LoadAsync(kind, id, cancellationToken).ConfigureAwait(false);
        _tracked[key] = tracked;
        return (T?)tracked.State;
    }

    private async ValueTask<Tracked> LoadAsync(AggregateKind kind, string id, CancellationToken cancellationToken)
    {
        var cache = _context.Cache;
        if (_cachedReads && cache.TryGet(Tenant.Value, kind.Name, id, out var cached))
        {
            ReadFromCache = true;
            return new Tracked(kind, cached.State, cached.Version, cached.Indexes) { FromCache = true };
        }

        var document = await _context.Store.LoadAsync(Tenant, kind.Name, id, cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            cache.Put(Tenant.Value, kind.Name, id, AggregateCache.Entry.Missing);
            return new Tracked(kind, null, 0, null);
        }

        // The same stored JSON as a cached state: reuse the parsed state instead of deserializing it again.
        if (cache.TryGet(Tenant.Value, kind.Name, id, out var same) && same.Version == document.Version
            && (ReferenceEquals(same.Json, document.Json) || string.Equals(same.Json, document.Json, StringComparison.Ordinal)))
        {
            return new Tracked(kind, same.State, same.Version, same.Indexes);
        }

        var state = kind.Read(document);
        var indexes = kind.Indexes(state);
        cache.Put(Tenant.Value, kind.Name, id, new AggregateCache.Entry(document.Version, document.Json, state, indexes));
        return new Tracked(kind, state, document.Version, indexes);
    }

    /// <summary>
    /// A time-ordered id (UUID version 7 on the kernel's clock, increasing within the kernel): the journal's unique
    /// index on event ids then grows at its end instead of touching a random page per event.
    /// </summary>
    private Guid NewOrderedId() => _context.Ids.Next(Now);

    /// <summary>Drops the cached states this unit used, so the next command reads them from the store.</summary>
    public void ForgetCachedStates()
    {
        foreach (var key in _tracked.Keys)
        {
            _context.Cache.Remove(Tenant.Value, key.Kind, key.Id);
        }
    }

    public async ValueTask<T> GetAsync<T>(AggregateKind<T> kind, string id, CancellationToken cancellationToken)
        where T : class =>
        await FindAsync(kind, id, cancellationToken).ConfigureAwait(false) ?? throw new EntityNotFoundException(kind.Name, id);

    /// <summary>Records an event: applies it to its aggregate's state and lets the reactors enqueue follow-up work.</summary>
    public async ValueTask<object?> RecordAsync(DomainEvent domainEvent, Cause cause, CancellationToken cancellationToken, Instant? occurredAt = null)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        if (domainEvent is NotificationRequested { Id: null } notification)
        {
            domainEvent = notification with { Id = NotificationId.New() };
        }

        var stream = Projection.StreamOf(domainEvent);
        var context = new EventContext(occurredAt ?? Now, Actor, cause);
        object? newState = null;
        if (stream.Kind is { } kind)
        {
            var key = (kind.Name, stream.Id);
            if (!_tracked.TryGetValue(key, out var tracked))
            {
                tracked = await LoadAsync(kind, stream.Id, cancellationToken).ConfigureAwait(false);
                _tracked[key] = tracked;
            }

            newState = Projection.Apply(tracked.State, domainEvent, context);
            tracked.State = newState;
            tracked.Dirty = true;
        }

        _events.Add(new JournalAppend(
            NewOrderedId(),
            stream.StreamKind,
            stream.Id,
            EventTypeRegistry.NameOf(domainEvent.GetType()),
            EventTypeRegistry.Serialize(domainEvent),
            context.OccurredAt,
            Actor?.Value,
            cause));

        foreach (var reactor in _context.Reactors)
        {
            await reactor.OnEventAsync(this, domainEvent, cause, cancellationToken).ConfigureAwait(false);
        }

        return newState;
    }

    /// <summary>The state of an aggregate as this unit leaves it, with the version it has after the commit.</summary>
    public T Result<T>(AggregateKind<T> kind, string id)
        where T : class
    {
        if (!_tracked.TryGetValue((kind.Name, id), out var tracked) || tracked.State is not T state)
        {
            throw new EntityNotFoundException(kind.Name, id);
        }

        return kind.WithVersion(state, tracked.Dirty && _committed ? tracked.Version + 1 : tracked.Version);
    }

    /// <summary>The version the unit read for an aggregate (0 when new or not loaded).</summary>
    public long VersionOf(AggregateKind kind, string id) => _tracked.TryGetValue((kind.Name, id), out var t) ? t.Version : 0;

    /// <summary>Enqueues a reaction one level deeper than the work running now.</summary>
    public void Enqueue(string description, Func<UnitOfWork, CancellationToken, ValueTask> work) =>
        _queue.Enqueue(new WorkItem(description, _depth + 1, work));

    public void TakeUniqueKey(string scope, string key, string owner) => _keys.Add(new UniqueKeyChange(scope, key, owner));

    public void ReleaseUniqueKey(string scope, string key, string owner) => _keys.Add(new UniqueKeyChange(scope, key, owner, Release: true));

    public void SetTimer(ScheduledTimer timer) => _timersToSet.Add(timer);

    public void CancelTimer(string timerId) => _timersToCancel.Add(timerId);

    public void CompleteTimer(ClaimedTimer claimed) =>
        _timersCompleted.Add(new TimerCompletion(claimed.Timer.Id, claimed.ClaimToken));

    /// <summary>Runs queued reactions breadth-first, then commits everything atomically.</summary>
    /// <exception cref="ReactionCascadeTooDeepException">The cascade went past the depth limit; nothing was written.</exception>
    public async ValueTask<CommitResult> CommitAsync(CancellationToken cancellationToken)
    {
        if (_committed)
        {
            throw new InvalidOperationException("This unit of work was already committed.");
        }

        await DrainAsync(cancellationToken).ConfigureAwait(false);
        if (ReadOnlyActor is { } readOnly && _events.Count > 0)
        {
            throw new AccessDeniedException(readOnly, "change records: their permission set is read-only");
        }

        _committed = true;

        var documents = new List<DocumentWrite>();
        List<DocumentVersionCheck>? readChecks = null;
        foreach (var tracked in _tracked)
        {
            if (tracked.Value is { Dirty: true, State: { } state } t)
            {
                var indexes = t.Kind.Indexes(state);
                documents.Add(new DocumentWrite(t.Kind.Name, tracked.Key.Id, t.Version, t.Kind.Write(state), indexes)
                {
                    IndexesChanged = t.LoadedIndexes is not { } loaded || !loaded.SequenceEqual(indexes),
                });
            }
            else if (tracked.Value is { FromCache: true } read)
            {
                (readChecks ??= new()).Add(new DocumentVersionCheck(read.Kind.Name, tracked.Key.Id, read.Version));
            }
        }

        if (documents.Count == 0 && _events.Count == 0 && _keys.Count == 0 && _timersToSet.Count == 0
            && _timersToCancel.Count == 0 && _timersCompleted.Count == 0)
        {
            return default;
        }

        var commit = new StoreCommit(Tenant, NewOrderedId(), Now)
        {
            Documents = documents,
            Events = _events,
            UniqueKeys = _keys,
            TimersToSet = _timersToSet,
            TimersToCancel = _timersToCancel,
            TimersCompleted = _timersCompleted,
            ReadChecks = (IReadOnlyList<DocumentVersionCheck>?)readChecks ?? [],
        };
        CommitResult result;
        try
        {
            result = await _context.Store.CommitAsync(commit, cancellationToken).ConfigureAwait(false);
            Stored = true;
        }
        catch (ConcurrencyConflictException)
        {
            // Whatever this unit read may be out of date: the next command reads it from the store.
            ForgetCachedStates();
            throw;
        }

        foreach (var write in documents)
        {
            var tracked = _tracked[(write.Kind, write.Id)];
            var version = write.ExpectedVersion + 1;
            _context.Cache.Put(Tenant.Value, write.Kind, write.Id,
                new AggregateCache.Entry(version, write.Json, tracked.Kind.WithVersion(tracked.State!, version), write.Indexes));
        }

        _context.AfterCommit(Tenant, result);
        return result;
    }

    private async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        var limit = _context.MaxReactionDepth;
        while (_queue.TryDequeue(out var item))
        {
            _chain.Add(item.Description);
            if (item.Depth > limit)
            {
                var tail = _chain.Count > 8 ? _chain.GetRange(_chain.Count - 8, 8) : _chain;
                throw new ReactionCascadeTooDeepException(limit, tail.ToArray());
            }

            var previous = _depth;
            _depth = item.Depth;
            try
            {
                await item.Work(this, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _depth = previous;
            }
        }
    }

    private sealed class Tracked(AggregateKind kind, object? state, long version, IReadOnlyList<IndexEntry>? loadedIndexes)
    {
        /// <summary>The index entries of the state as loaded (null for a new aggregate): unchanged ones are not rewritten.</summary>
        public IReadOnlyList<IndexEntry>? LoadedIndexes { get; } = loadedIndexes;

        /// <summary>Taken from the cache without a store read: checked by version at commit.</summary>
        public bool FromCache { get; init; }

        public AggregateKind Kind { get; } = kind;
        public object? State { get; set; } = state;
        public long Version { get; } = version;
        public bool Dirty { get; set; }
    }

    private sealed record WorkItem(string Description, int Depth, Func<UnitOfWork, CancellationToken, ValueTask> Work);
}

/// <summary>Something that reacts to events inside the unit of work that records them (goals, rules, processes).</summary>
internal interface IUnitOfWorkReactor
{
    ValueTask OnEventAsync(UnitOfWork unit, DomainEvent domainEvent, Cause cause, CancellationToken cancellationToken);
}
