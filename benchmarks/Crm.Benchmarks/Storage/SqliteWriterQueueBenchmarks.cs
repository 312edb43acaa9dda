using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Storage.Sqlite;
using NodaTime;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// The SQLite writer's queue alone (issue 19, point 7): <see cref="WriterQueue"/> on System.Threading.Channels against
/// the lock-free queue with a monitor it replaced (copied here as it was on main at 7250461, the baseline). A writer
/// thread takes requests as the store's does (up to 100 at a time, watching the queue for 200 µs after a group of one)
/// and completes them at once, so the figures are the queue's cost: the wake-up of the writer and of the caller. One
/// caller awaiting one request at a time (the latency of an idle store), and eight callers each awaiting theirs.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SqliteWriterQueueBenchmarks
{
    private const int Requests = 1000;
    private const int Callers = 8;
    private static readonly TimeSpan Spin = TimeSpan.FromMicroseconds(200);
    private static readonly StoreCommit Commit = new(new TenantId("t"), Guid.Empty, Instant.FromUnixTimeTicks(0));
    private MonitorWriteQueue _monitor = null!;
    private ChannelQueue _channel = null!;
    private Thread[] _writers = [];

    [GlobalSetup]
    public void SetUp()
    {
        _monitor = new MonitorWriteQueue(Spin);
        _channel = new ChannelQueue(new WriterQueue(Spin));
        _writers = [Start(_monitor), Start(_channel)];
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _monitor.Complete();
        _channel.Complete();
        foreach (var writer in _writers)
        {
            writer.Join();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests)]
    [BenchmarkCategory("one caller")]
    public Task Monitor_one_caller() => OneCallerAsync(_monitor, Requests);

    [Benchmark(OperationsPerInvoke = Requests)]
    [BenchmarkCategory("one caller")]
    public Task Channel_one_caller() => OneCallerAsync(_channel, Requests);

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests)]
    [BenchmarkCategory("eight callers")]
    public Task Monitor_eight_callers() => Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(() => OneCallerAsync(_monitor, Requests / Callers))));

    [Benchmark(OperationsPerInvoke = Requests)]
    [BenchmarkCategory("eight callers")]
    public Task Channel_eight_callers() => Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(() => OneCallerAsync(_channel, Requests / Callers))));

    private static async Task OneCallerAsync(IQueue queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var request = new CommitRequest(Commit);
            request.WatchCancellation(CancellationToken.None); // as SqliteWriter.SubmitAsync does
            queue.TryWrite(request);
            await request.Completion.Task.ConfigureAwait(false);
        }
    }

    private static Thread Start(IQueue queue)
    {
        var thread = new Thread(() =>
        {
            var batch = new List<WriteRequest>(100);
            var single = false;
            while (queue.WaitAndTake(batch, 100, single))
            {
                foreach (var request in batch)
                {
                    ((CommitRequest)request).Succeed(default);
                    request.Complete();
                }

                single = batch.Count == 1;
                batch.Clear();
            }
        })
        { IsBackground = true, Name = "queue benchmark writer" };
        thread.Start();
        return thread;
    }

    private interface IQueue
    {
        bool TryWrite(WriteRequest request);

        bool WaitAndTake(List<WriteRequest> batch, int max, bool spin);

        void Complete();
    }

    private sealed class ChannelQueue(WriterQueue queue) : IQueue
    {
        public bool TryWrite(WriteRequest request) => queue.TryWrite(request);

        public bool WaitAndTake(List<WriteRequest> batch, int max, bool spin) => queue.WaitAndTake(batch, max, spin);

        public void Complete() => queue.Complete();
    }

    /// <summary>The queue as it was on main at 7250461 (SqliteCrmStore.WriteQueue), unchanged but for its name.</summary>
    private sealed class MonitorWriteQueue(TimeSpan spin) : IQueue
    {
        private readonly long _spinTicks = (long)(spin.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        private readonly System.Collections.Concurrent.ConcurrentQueue<WriteRequest> _pending = new();
        private readonly object _gate = new();
        private int _waiting;
        private int _producers;
        private int _completed;
        private bool _closed;

        public bool TryWrite(WriteRequest request)
        {
            Interlocked.Increment(ref _producers);
            try
            {
                if (Volatile.Read(ref _completed) == 1)
                {
                    return false;
                }

                _pending.Enqueue(request);
            }
            finally
            {
                Interlocked.Decrement(ref _producers);
            }

            if (Volatile.Read(ref _waiting) == 1)
            {
                lock (_gate)
                {
                    Monitor.Pulse(_gate);
                }
            }

            return true;
        }

        public bool TryTake([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out WriteRequest request) => _pending.TryDequeue(out request);

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

            while (_pending.IsEmpty)
            {
                lock (_gate)
                {
                    Interlocked.Exchange(ref _waiting, 1);
                    if (_pending.IsEmpty)
                    {
                        if (_closed)
                        {
                            Interlocked.Exchange(ref _waiting, 0);
                            return false;
                        }

                        Monitor.Wait(_gate);
                    }

                    Interlocked.Exchange(ref _waiting, 0);
                }
            }

            while (batch.Count < max && _pending.TryDequeue(out var request))
            {
                batch.Add(request);
            }

            return true;
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
            if (_spinTicks == 0 || !_pending.IsEmpty || Volatile.Read(ref _completed) == 1)
            {
                return;
            }

            var until = System.Diagnostics.Stopwatch.GetTimestamp() + _spinTicks;
            var spin = default(SpinWait);
            while (_pending.IsEmpty && System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        /// <summary>Refuses new requests, waits for producers already adding, and lets the writer stop once drained.</summary>
        public void Complete()
        {
            Interlocked.Exchange(ref _completed, 1);
            var spin = default(SpinWait);
            while (Volatile.Read(ref _producers) != 0)
            {
                spin.SpinOnce();
            }

            lock (_gate)
            {
                _closed = true;
                Monitor.PulseAll(_gate);
            }
        }
    }
}
