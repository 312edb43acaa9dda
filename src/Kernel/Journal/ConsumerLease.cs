using Crm.Abstractions;
using Crm.Kernel.Hosting;

namespace Crm.Kernel.Journal;

/// <summary>
/// A journal consumer claimed by this kernel through the store (<c>ICrmStore.TryClaimConsumerAsync</c>), so that one host
/// at a time works the consumer's pages. Renewed before every page; released on dispose. If the host dies the lease
/// just expires: the cursor advances only on commit, so the next owner starts where the last commit ended.
/// </summary>
internal sealed class ConsumerLease : IAsyncDisposable
{
    private readonly KernelContext _context;
    private readonly ConsumerLeases _leases;
    private readonly TenantId _tenant;
    private readonly string _consumer;
    private NodaTime.Instant _renewedAt;

    private ConsumerLease(KernelContext context, ConsumerLeases leases, TenantId tenant, string consumer)
    {
        _context = context;
        _leases = leases;
        _tenant = tenant;
        _consumer = consumer;
    }

    /// <summary>Claims the consumer, or returns null while another host holds an unexpired lease on it.</summary>
    public static async Task<ConsumerLease?> TryClaimAsync(KernelContext context, ConsumerLeases leases, TenantId tenant, string consumer, CancellationToken cancellationToken)
    {
        var lease = new ConsumerLease(context, leases, tenant, consumer);
        return await lease.RenewAsync(cancellationToken).ConfigureAwait(false) ? lease : null;
    }

    /// <summary>Extends the lease from now; false when it expired and another host has taken the consumer over.</summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        var now = _context.Clock.GetCurrentInstant();
        if (!await _context.Store.TryClaimConsumerAsync(_tenant, _consumer, _leases.Owner, now, _leases.Lease, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _renewedAt = now;
        return true;
    }

    /// <summary>
    /// Within a page: renews once half the lease has gone (a slow endpoint must not let the lease lapse under a running
    /// page), otherwise costs nothing. False when the lease was lost: stop, without committing, and let the owner redo the page.
    /// </summary>
    public async Task<bool> KeepAsync(CancellationToken cancellationToken) =>
        _context.Clock.GetCurrentInstant() - _renewedAt < _leases.Lease / 2 || await RenewAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Releases the consumer so another host may take it at once.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _context.Store.ReleaseConsumerAsync(_tenant, _consumer, _leases.Owner, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The store is gone or unreachable (the host is stopping): the lease expires by itself, nothing is lost.
        }
    }
}

/// <summary>
/// Who this kernel is when it claims journal consumers (unique per kernel instance, readable in the lease row) and how
/// long it holds them (<see cref="CrmKernelOptions.ConsumerLease"/>). One per kernel, built by the container.
/// </summary>
internal sealed class ConsumerLeases(Microsoft.Extensions.Options.IOptions<CrmKernelOptions> options)
{
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public NodaTime.Duration Lease { get; } = options.Value.ConsumerLease;
}
