using Crm.Abstractions;
using Crm.Abstractions.Storage;
using NodaTime;

namespace Crm.Storage.Sqlite;

/// <summary>
/// A request to the writer. While queued it can be cancelled by its caller's token; once the writer has taken it
/// (<see cref="TryTake"/>) it runs to its outcome. While its group is written it holds that outcome
/// (<see cref="WriteRequest{T}.Succeed"/> or <see cref="Failed"/>, the last one set counting, as a group may run twice);
/// <see cref="Complete"/> hands the outcome to the caller once the group's transaction has committed.
/// </summary>
internal abstract class WriteRequest
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;
    private int _state;
    private CancellationTokenRegistration _cancellation;
    private Exception? _error;

    /// <summary>
    /// Lets <paramref name="cancellationToken"/> cancel the request until the writer takes it: the caller sees an
    /// <see cref="OperationCanceledException"/> at once, and the writer skips the request (nothing of it is written).
    /// Call before queuing the request.
    /// </summary>
    public void WatchCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((WriteRequest)state!).Cancel(token), this);
        }
    }

    /// <summary>The writer takes the request to write it; false when its caller cancelled it first.</summary>
    public bool TryTake()
    {
        if (Interlocked.CompareExchange(ref _state, Taken, Queued) != Queued)
        {
            return false;
        }

        _cancellation.Unregister();
        return true;
    }

    /// <summary>Stops watching the caller's token (the request was never queued).</summary>
    public void StopWatching() => _cancellation.Unregister();

    /// <summary>Fails the caller now (nothing of the request was committed).</summary>
    public abstract void Fail(Exception error);

    /// <summary>Records that the request failed within its group, which goes on without it.</summary>
    public void Failed(Exception error) => _error = error;

    /// <summary>Hands the recorded outcome to the caller.</summary>
    public void Complete()
    {
        if (_error is { } error)
        {
            Fail(error);
        }
        else
        {
            Succeeded();
        }
    }

    protected void ClearError() => _error = null;

    protected abstract void Succeeded();

    protected abstract void Canceled(CancellationToken cancellationToken);

    private void Cancel(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            Canceled(cancellationToken);
        }
    }
}

/// <summary>A request whose caller awaits a result of type <typeparamref name="T"/>.</summary>
internal abstract class WriteRequest<T> : WriteRequest
{
    private T? _result;

    public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Records the request's result within its group.</summary>
    public void Succeed(T result)
    {
        _result = result;
        ClearError();
    }

    public override void Fail(Exception error) => Completion.TrySetException(error);

    protected override void Succeeded() => Completion.TrySetResult(_result!);

    protected override void Canceled(CancellationToken cancellationToken) => Completion.TrySetCanceled(cancellationToken);
}

/// <summary>A commit: documents, keys, timers and journal events, all or nothing.</summary>
internal sealed class CommitRequest(StoreCommit commit) : WriteRequest<CommitResult>
{
    public StoreCommit Commit { get; } = commit;
}

/// <summary>Claims a consumer's lease until <see cref="Until"/>, or releases it when <see cref="Now"/> is null.</summary>
internal sealed class ConsumerLeaseRequest(TenantId tenant, string consumer, string owner, Instant? now, Instant? until) : WriteRequest<bool>
{
    public TenantId Tenant { get; } = tenant;
    public string Consumer { get; } = consumer;
    public string Owner { get; } = owner;
    public Instant? Now { get; } = now;
    public Instant? Until { get; } = until;
}

/// <summary>Claims due timers (a write: each claimed timer gets a token and a lease).</summary>
internal sealed class ClaimRequest(Instant now, Duration lease, int maxCount) : WriteRequest<IReadOnlyList<ClaimedTimer>>
{
    public Instant Now { get; } = now;
    public Duration Lease { get; } = lease;
    public int MaxCount { get; } = maxCount;
}
