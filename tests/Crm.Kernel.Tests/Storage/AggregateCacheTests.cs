using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Crm.Kernel.Tests.Storage;

/// <summary>
/// The kernel's aggregate cache across hosts: two kernels (separate service providers) on one store, so each host's
/// cached states go stale when the other host writes. Deal commands take cached states; the commit's version checks
/// must catch every stale one, and the command must then run on fresh reads.
/// </summary>
public sealed class AggregateCacheTests : IAsyncLifetime
{
    private readonly InMemoryCrmStore _store = new();
    private readonly FakeClock _clock = new(TestKernel.Start);
    private readonly CountingStore _counting;
    private TestKernel _a = null!;
    private TestKernel _b = null!;
    private ServiceProvider _providerA = null!;
    private ServiceProvider _providerB = null!;

    public AggregateCacheTests() => _counting = new CountingStore(_store);

    public async Task InitializeAsync()
    {
        (_providerA, _a) = Host(_counting);
        (_providerB, _b) = Host(_store);
        await _a.SetUpOrganizationAsync();
    }

    public async Task DisposeAsync()
    {
        await _providerA.DisposeAsync();
        await _providerB.DisposeAsync();
    }

    private (ServiceProvider, TestKernel) Host(ICrmStore store, int cacheSize = 10_000)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(_clock);
        services.AddCrmKernel(crm => crm.Configure(o =>
        {
            o.DefaultPhoneRegion = "NO";
            o.AggregateCacheSize = cacheSize;
        }));
        services.AddSingleton(store);
        var provider = services.BuildServiceProvider();
        return (provider, TestKernel.Wrap(provider.GetRequiredService<CrmKernel>(), _clock));
    }

    [Fact]
    public async Task A_warm_deal_command_reads_nothing_from_the_store()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var seller = _a.Session(TestKernel.Seller1).Deals;
        await seller.SetFieldAsync(deal.Id, "note", "warm-up");

        var loads = _counting.Loads;
        var after = await seller.SetFieldAsync(deal.Id, "note", "cached");

        Assert.Equal(0, _counting.Loads - loads);
        Assert.Equal("cached", after.Fields["note"]);
        Assert.Equal(after, await _a.Session(TestKernel.Seller1).Deals.GetAsync(deal.Id));
    }

    [Fact]
    public async Task A_change_made_on_another_host_is_not_lost_by_a_command_on_cached_state()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(TestKernel.Seller1).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "a"); // host A caches the deal at this version

        await _b.Session(TestKernel.Seller1).Deals.SetFieldAsync(deal.Id, "other", "from b");
        var after = await onA.SetFieldAsync(deal.Id, "note", "a again");

        Assert.Equal("from b", after.Fields["other"]);
        Assert.Equal("a again", after.Fields["note"]);
        Assert.Equal(deal.Version + 3, after.Version);
        var stored = await _b.Session(TestKernel.Seller1).Deals.GetAsync(deal.Id);
        Assert.Equal(after.Version, stored.Version);
        Assert.Equal(after.Fields.OrderBy(f => f.Key), stored.Fields.OrderBy(f => f.Key));
    }

    [Fact]
    public async Task A_user_deactivated_on_another_host_is_refused_at_once()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(TestKernel.Seller1).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "while active"); // host A caches the active user

        await _b.Session(TestKernel.Admin).Organization.DeactivateUserAsync(TestKernel.Seller1, TestKernel.Seller2);
        var head = await _a.JournalHeadAsync();

        await Assert.ThrowsAsync<AccessDeniedException>(() => onA.SetFieldAsync(deal.Id, "note", "after leaving"));
        Assert.Equal(head, await _a.JournalHeadAsync());
        var stored = await _b.Session(TestKernel.Admin).Deals.GetAsync(deal.Id);
        Assert.Equal("while active", stored.Fields["note"]);
        Assert.Equal(TestKernel.Seller2, stored.Owner);
    }

    [Fact]
    public async Task A_user_deactivated_on_another_host_is_refused_though_nothing_else_of_theirs_changed()
    {
        // An administrator owns nothing, so deactivating one changes only their user record: only the commit's check
        // of that cached record can catch it.
        var deputy = new UserId("deputy");
        await _a.Session(TestKernel.Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(deputy, "Deputy Admin", Crm.Abstractions.CrmRole.Admin));
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(deputy).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "by the deputy"); // host A caches the active deputy

        await _b.Session(TestKernel.Admin).Organization.DeactivateUserAsync(deputy, TestKernel.Admin);

        await Assert.ThrowsAsync<AccessDeniedException>(() => onA.SetFieldAsync(deal.Id, "note", "after leaving"));
        Assert.Equal("by the deputy", (await _b.Session(TestKernel.Admin).Deals.GetAsync(deal.Id)).Fields["note"]);
    }

    [Fact]
    public async Task A_deal_handed_over_on_another_host_is_refused_to_its_former_owner()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(TestKernel.Seller1).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "mine");

        await _b.Session(TestKernel.Head1).Deals.AssignAsync(deal.Id, TestKernel.Seller2);

        await Assert.ThrowsAsync<AccessDeniedException>(() => onA.SetFieldAsync(deal.Id, "note", "still mine?"));
        Assert.Equal("mine", (await _b.Session(TestKernel.Seller2).Deals.GetAsync(deal.Id)).Fields["note"]);
    }

    [Fact]
    public async Task An_expected_version_read_on_another_host_is_honoured_though_this_host_cached_an_older_one()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(TestKernel.Seller1).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "a");

        var onB = await _b.Session(TestKernel.Seller1).Deals.SetFieldAsync(deal.Id, "note", "b");
        var after = await onA.SetFieldAsync(deal.Id, "note", "a with b's version", expectedVersion: onB.Version);
        Assert.Equal(onB.Version + 1, after.Version);

        // An expected version that really is stale still fails, on fresh reads too.
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => onA.SetFieldAsync(deal.Id, "note", "stale", expectedVersion: onB.Version));
    }

    [Fact]
    public async Task A_rule_defined_on_another_host_applies_to_the_next_command_on_this_one()
    {
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var onA = _a.Session(TestKernel.Seller1).Deals;
        await onA.SetFieldAsync(deal.Id, "note", "before the rule"); // host A caches "no rule book yet"

        await _b.Session(TestKernel.Admin).Rules.DefineAsync(Crm.Kernel.Rules.RuleDefinition.Create("stamp", "Stamp notes", "DealFieldSet")
            .When(new Crm.Abstractions.Automation.FieldEquals("event.name", "note"))
            .Then(new Crm.Abstractions.Automation.SetField("deal.field.stamped", "yes"))
            .Build());
        var after = await onA.SetFieldAsync(deal.Id, "note", "after the rule");

        Assert.Equal("yes", after.Fields.GetValueOrDefault("stamped"));
    }

    [Fact]
    public async Task With_the_cache_off_every_command_reads_the_store()
    {
        var counting = new CountingStore(_store);
        var (provider, c) = Host(counting, cacheSize: 0);
        await using var _ = provider;
        var deal = await _a.DealAsync(TestKernel.Seller1);
        var seller = c.Session(TestKernel.Seller1).Deals;
        await seller.SetFieldAsync(deal.Id, "note", "one");

        var loads = counting.Loads;
        await seller.SetFieldAsync(deal.Id, "note", "two");

        Assert.True(counting.Loads - loads >= 2, "the user and the deal are read for each command");
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Host(_store, cacheSize: -1));
    }

    private sealed class CountingStore(ICrmStore inner) : ICrmStore
    {
        private int _loads;

        public int Loads => Volatile.Read(ref _loads);

        public ValueTask<StoredDocument?> LoadAsync(TenantId tenant, string kind, string id, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _loads);
            return inner.LoadAsync(tenant, kind, id, cancellationToken);
        }

        public IAsyncEnumerable<StoredDocument> QueryAsync(TenantId tenant, string kind, IndexEntry? index = null, CancellationToken cancellationToken = default) => inner.QueryAsync(tenant, kind, index, cancellationToken);

        public ValueTask<string?> FindUniqueKeyOwnerAsync(TenantId tenant, string scope, string key, CancellationToken cancellationToken = default) => inner.FindUniqueKeyOwnerAsync(tenant, scope, key, cancellationToken);

        public ValueTask<CommitResult> CommitAsync(StoreCommit commit, CancellationToken cancellationToken = default) => inner.CommitAsync(commit, cancellationToken);

        public IAsyncEnumerable<JournalRecord> ReadJournalAsync(TenantId tenant, long afterPosition, int maxCount, CancellationToken cancellationToken = default) => inner.ReadJournalAsync(tenant, afterPosition, maxCount, cancellationToken);

        public ValueTask<IReadOnlyList<ClaimedTimer>> ClaimDueTimersAsync(Instant now, Duration lease, int maxCount, CancellationToken cancellationToken = default) => inner.ClaimDueTimersAsync(now, lease, maxCount, cancellationToken);

        public IAsyncEnumerable<ScheduledTimer> ListTimersAsync(TenantId tenant, CancellationToken cancellationToken = default) => inner.ListTimersAsync(tenant, cancellationToken);

        public ValueTask<bool> TryClaimConsumerAsync(TenantId tenant, string consumer, string owner, Instant now, Duration lease, CancellationToken cancellationToken = default) => inner.TryClaimConsumerAsync(tenant, consumer, owner, now, lease, cancellationToken);

        public ValueTask ReleaseConsumerAsync(TenantId tenant, string consumer, string owner, CancellationToken cancellationToken = default) => inner.ReleaseConsumerAsync(tenant, consumer, owner, cancellationToken);
    }
}
