using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Storage;

/// <summary>Journal metadata an event is applied with.</summary>
internal readonly record struct EventContext(Instant OccurredAt, UserId? Actor, Cause Cause);

/// <summary>The stream an event belongs to; <see cref="Kind"/> is null for journal-only events that change no state.</summary>
internal readonly record struct StreamRef(string StreamKind, string Id, AggregateKind? Kind);

/// <summary>
/// Applies events to aggregate states. The unit of work changes state only through here, so folding the journal
/// reproduces every stored document (the replay guarantee). Each capability folder declares its events' streams and
/// changes in its <see cref="AggregateRegistration"/>; this class looks them up by event type.
/// </summary>
internal static class Projection
{
    /// <summary>The stream <paramref name="e"/> belongs to.</summary>
    /// <exception cref="ArgumentException">The event type has no registration.</exception>
    public static StreamRef StreamOf(DomainEvent e) => AggregateRegistry.Kernel.Find(e).StreamOf(e);

    /// <summary>Applies an event to the current state of its stream (null when the stream is new).</summary>
    /// <exception cref="ArgumentException">The event type has no registration, or changes no state.</exception>
    /// <exception cref="InvalidOperationException">The event changes a state that does not exist.</exception>
    public static object Apply(object? state, DomainEvent e, in EventContext ctx) => AggregateRegistry.Kernel.Find(e).Apply(state, e, ctx);
}
