using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Crm.Storage.Sqlite;

/// <summary>
/// The writer's queue: an unbounded <see cref="Channel{T}"/> that any thread writes and the writer thread alone reads.
/// The writer blocks on its own thread when the queue is empty; a request cancelled by its caller while queued is
/// dropped when taken. Once completed, the queue refuses new requests; the writer drains what was added before and then
/// stops.
/// </summary>
internal sealed class WriterQueue(TimeSpan spin)
{
    private readonly long _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);

    // Synchronous continuations: the producer whose write ends the writer's wait signals the blocked writer thread
    // itself, instead of queuing that signal to a pool thread (a hop that, on a busy machine, can cost more than a write).
    private readonly Channel<WriteRequest> _channel = Channel.CreateUnbounded<WriteRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = true });

    private volatile bool _completed;

    /// <summary>Queues a request; false once the queue is completed.</summary>
    public bool TryWrite(WriteRequest request) => _channel.Writer.TryWrite(request);

    /// <summary>Takes the next request not cancelled by its caller, if any is queued.</summary>
    public bool TryTake([MaybeNullWhen(false)] out WriteRequest request)
    {
        while (_channel.Reader.TryRead(out request))
        {
            if (request.TryTake())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Waits for requests and takes up to <paramref name="max"/>; false once completed and drained. With
    /// <paramref name="spin"/>, watches for a while before sleeping (see <see cref="SpinForArrival"/>).
    /// </summary>
    public bool WaitAndTake(List<WriteRequest> batch, int max, bool spin)
    {
        if (spin)
        {
            SpinForArrival();
        }

        while (true)
        {
            while (batch.Count < max && TryTake(out var request))
            {
                batch.Add(request);
            }

            if (batch.Count > 0)
            {
                return true;
            }

            // The writer has a thread of its own: it blocks here rather than yielding to the pool.
            var wait = _channel.Reader.WaitToReadAsync();
            if (!(wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult()))
            {
                return false;
            }
        }
    }

    /// <summary>Refuses new requests and lets the writer stop once drained.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>
    /// Before sleeping, watches the queue for a short while (yielding the core to any thread that wants it): a caller
    /// awaiting one commit at a time issues its next one a few tens of microseconds after the last completed, and
    /// catching it here saves waking a sleeping thread, which on a busy virtual machine can cost more than the write.
    /// The writer watches only after a group of one: after a larger group the callers are busy with that many
    /// completions, and the watching would only take a core from them.
    /// </summary>
    private void SpinForArrival()
    {
        if (_spinTicks == 0 || _completed || _channel.Reader.TryPeek(out _))
        {
            return;
        }

        var until = Stopwatch.GetTimestamp() + _spinTicks;
        var spin = default(SpinWait);
        while (!_channel.Reader.TryPeek(out _) && Stopwatch.GetTimestamp() < until)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
