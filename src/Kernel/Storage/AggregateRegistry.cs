using System.Collections.Frozen;
using Crm.Abstractions;
using Crm.Abstractions.Events;

namespace Crm.Kernel.Storage;

/// <summary>
/// One capability's aggregates: the kinds it stores and, for each of its events, the stream the event belongs to and how
/// it changes the stream's state. Each capability folder has one subclass (e.g. <c>Deals/DealAggregates.cs</c>) with a
/// parameterless constructor; <see cref="AggregateRegistry"/> finds them by reflection once, so adding an event or a
/// capability touches only its folder.
/// </summary>
internal abstract class AggregateRegistration
{
    /// <summary>Declares the capability's kinds and events on <paramref name="registry"/>.</summary>
    public abstract void Register(AggregateRegistryBuilder registry);

    /// <summary>Adds the JSON converters the capability's stored states and events need (none by default).</summary>
    public virtual void AddJsonConverters(IList<System.Text.Json.Serialization.JsonConverter> converters)
    {
    }

    /// <summary>A sorted copy of <paramref name="source"/> with <paramref name="name"/> set to <paramref name="value"/> (removed when null).</summary>
    protected static IReadOnlyDictionary<string, string> WithEntry(IReadOnlyDictionary<string, string> source, string name, string? value)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in source)
        {
            copy[pair.Key] = pair.Value;
        }

        if (value is null)
        {
            copy.Remove(name);
        }
        else
        {
            copy[name] = value;
        }

        return copy;
    }
}

/// <summary>Applies an event to its stream's state, null when the stream is new; returns the new state.</summary>
internal delegate T ApplyEvent<T, in TEvent>(T? state, TEvent e, in EventContext ctx)
    where T : class;

/// <summary>Applies an event to the existing state of its stream; returns the new state.</summary>
internal delegate T ChangeEvent<T, in TEvent>(T state, TEvent e, in EventContext ctx)
    where T : class;

/// <summary>How one event type is projected: its stream, and its change to the stream's state.</summary>
internal abstract class EventProjection(Type eventType, Type registeredBy)
{
    public Type EventType { get; } = eventType;

    /// <summary>The registration (capability) that declared it.</summary>
    public Type RegisteredBy { get; } = registeredBy;

    public abstract StreamRef StreamOf(DomainEvent e);

    public abstract object Apply(object? state, DomainEvent e, in EventContext ctx);
}

/// <summary>An event that belongs to an aggregate's stream and changes its state.</summary>
internal sealed class StateProjection<T, TEvent>(AggregateKind<T> kind, Func<TEvent, string> stream, ApplyEvent<T, TEvent>? apply,
    ChangeEvent<T, TEvent>? change, Type registeredBy)
    : EventProjection(typeof(TEvent), registeredBy)
    where T : class
    where TEvent : DomainEvent
{
    public override StreamRef StreamOf(DomainEvent e) => new(kind.Name, stream((TEvent)e), kind);

    public override object Apply(object? state, DomainEvent e, in EventContext ctx)
    {
        var current = state as T;
        if (change is not null)
        {
            return change(current ?? throw new InvalidOperationException($"Event {e.GetType().Name} applies to a {typeof(T).Name} that does not exist."), (TEvent)e, ctx);
        }

        return apply!(current, (TEvent)e, ctx);
    }
}

/// <summary>An event recorded in a stream's journal that changes no stored state.</summary>
internal sealed class JournalOnlyProjection<TEvent>(string streamKind, Func<TEvent, string> stream, Type registeredBy)
    : EventProjection(typeof(TEvent), registeredBy)
    where TEvent : DomainEvent
{
    public override StreamRef StreamOf(DomainEvent e) => new(streamKind, stream((TEvent)e), null);

    public override object Apply(object? state, DomainEvent e, in EventContext ctx) =>
        throw new ArgumentException($"The kernel has no projection for event {e.GetType().Name}.", nameof(e));
}

/// <summary>What registrations declare; <see cref="AggregateRegistry.Build"/> checks it.</summary>
internal sealed class AggregateRegistryBuilder
{
    private readonly List<EventProjection> _events = [];
    private readonly List<AggregateKind> _kinds = [];

    internal Type Current { get; set; } = typeof(AggregateRegistration);

    public IReadOnlyList<EventProjection> Events => _events;

    public IReadOnlyList<AggregateKind> Kinds => _kinds;

    /// <summary>Declares a kind (once is enough; a second declaration of the same kind is ignored) and returns its stream's registration.</summary>
    /// <exception cref="AggregateRegistrationException">Another kind already has its name.</exception>
    public StreamRegistration<T> Stream<T>(AggregateKind<T> kind)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (_kinds.Find(k => k.Name == kind.Name) is { } existing)
        {
            if (!ReferenceEquals(existing, kind))
            {
                throw new AggregateRegistrationException($"Two aggregate kinds are named '{kind.Name}' (the second in {Current.FullName}); give the new kind its own name.");
            }
        }
        else
        {
            _kinds.Add(kind);
        }

        return new StreamRegistration<T>(this, kind);
    }

    /// <summary>Declares an event that is journaled on the stream <paramref name="streamKind"/>/id but changes no stored state.</summary>
    public AggregateRegistryBuilder JournalOnly<TEvent>(string streamKind, Func<TEvent, string> stream)
        where TEvent : DomainEvent
    {
        _events.Add(new JournalOnlyProjection<TEvent>(streamKind, stream, Current));
        return this;
    }

    internal void Add(EventProjection projection) => _events.Add(projection);
}

/// <summary>The events of one aggregate kind.</summary>
internal sealed class StreamRegistration<T>(AggregateRegistryBuilder registry, AggregateKind<T> kind)
    where T : class
{
    /// <summary>An event that may start the stream: <paramref name="apply"/> gets the state, null when the stream is new.</summary>
    /// <param name="stream">The id of the stream the event belongs to.</param>
    /// <param name="apply">The new state.</param>
    public StreamRegistration<T> On<TEvent>(Func<TEvent, string> stream, ApplyEvent<T, TEvent> apply)
        where TEvent : DomainEvent
    {
        registry.Add(new StateProjection<T, TEvent>(kind, stream, apply, null, registry.Current));
        return this;
    }

    /// <summary>An event that changes an existing state; applying it to a stream that does not exist throws <see cref="InvalidOperationException"/>.</summary>
    /// <param name="stream">The id of the stream the event belongs to.</param>
    /// <param name="change">The new state.</param>
    public StreamRegistration<T> OnExisting<TEvent>(Func<TEvent, string> stream, ChangeEvent<T, TEvent> change)
        where TEvent : DomainEvent
    {
        registry.Add(new StateProjection<T, TEvent>(kind, stream, null, change, registry.Current));
        return this;
    }
}

/// <summary>A capability's aggregate registration is missing, doubled or inconsistent (a defect of the kernel build, found at startup or by the convention test).</summary>
internal sealed class AggregateRegistrationException(string message) : CrmException(message);

/// <summary>
/// The kernel's projections, built once from the <see cref="AggregateRegistration"/>s of the kernel assembly: a lookup
/// from event type to its projection, and every aggregate kind. Building fails when a concrete
/// <see cref="DomainEvent"/> of Crm.Abstractions or of the kernel has no registration or more than one.
/// </summary>
internal sealed class AggregateRegistry
{
    private readonly FrozenDictionary<Type, EventProjection> _byEvent;

    private AggregateRegistry(FrozenDictionary<Type, EventProjection> byEvent, IReadOnlyList<AggregateKind> kinds)
    {
        _byEvent = byEvent;
        Kinds = kinds;
    }

    /// <summary>The kernel's registrations, found once (the registry and the JSON options both read them).</summary>
    public static IReadOnlyList<AggregateRegistration> Registrations { get; } = Discover();

    /// <summary>The kernel's registry (built on first use; a broken registration throws <see cref="AggregateRegistrationException"/>).</summary>
    public static AggregateRegistry Kernel { get; } = Build(Registrations, EventTypes());

    /// <summary>Every kind, ordered by name.</summary>
    public IReadOnlyList<AggregateKind> Kinds { get; }

    /// <summary>The projection of <paramref name="e"/>'s type.</summary>
    /// <exception cref="ArgumentException">The event type has no registration (e.g. a plug-in's event).</exception>
    public EventProjection Find(DomainEvent e) =>
        _byEvent.TryGetValue(e.GetType(), out var projection)
            ? projection
            : throw new ArgumentException($"The kernel has no projection for event {e.GetType().Name}.", nameof(e));

    /// <summary>One instance of every concrete <see cref="AggregateRegistration"/> of the kernel assembly, ordered by type name.</summary>
    public static IReadOnlyList<AggregateRegistration> Discover() =>
        typeof(AggregateRegistration).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true } && t.IsSubclassOf(typeof(AggregateRegistration)))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (AggregateRegistration)Activator.CreateInstance(t, nonPublic: true)!)
            .ToArray();

    /// <summary>The concrete event types of Crm.Abstractions and of the kernel.</summary>
    public static IReadOnlyList<Type> EventTypes() =>
        typeof(DomainEvent).Assembly.GetTypes().Concat(typeof(AggregateRegistration).Assembly.GetTypes())
            .Where(t => !t.IsAbstract && typeof(DomainEvent).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();

    /// <summary>Runs the registrations and returns what they declare, unchecked.</summary>
    public static AggregateRegistryBuilder Collect(IEnumerable<AggregateRegistration> registrations)
    {
        var builder = new AggregateRegistryBuilder();
        foreach (var registration in registrations)
        {
            builder.Current = registration.GetType();
            registration.Register(builder);
        }

        return builder;
    }

    /// <summary>Builds a registry from <paramref name="registrations"/>, checking that each of <paramref name="eventTypes"/> has exactly one.</summary>
    /// <exception cref="AggregateRegistrationException">An event type has no registration or more than one, or two kinds share a name.</exception>
    public static AggregateRegistry Build(IEnumerable<AggregateRegistration> registrations, IEnumerable<Type> eventTypes)
    {
        var builder = Collect(registrations);
        var problems = new List<string>();
        foreach (var group in builder.Events.GroupBy(p => p.EventType).Where(g => g.Count() > 1))
        {
            problems.Add($"{group.Key.Name} is registered {group.Count()} times (by {string.Join(", ", group.Select(p => p.RegisteredBy.FullName))}); keep one.");
        }

        var registered = builder.Events.Select(p => p.EventType).ToHashSet();
        foreach (var type in eventTypes.Where(t => !registered.Contains(t)))
        {
            problems.Add($"{type.Name} has no registration; add On<{type.Name}>(...) (or JournalOnly) to the AggregateRegistration in its capability folder (e.g. src/Kernel/Deals/DealAggregates.cs).");
        }

        if (problems.Count > 0)
        {
            throw new AggregateRegistrationException("The kernel's aggregate registrations are inconsistent: " + string.Join(" ", problems));
        }

        return new AggregateRegistry(
            builder.Events.ToFrozenDictionary(p => p.EventType),
            builder.Kinds.OrderBy(k => k.Name, StringComparer.Ordinal).ToArray());
    }
}
