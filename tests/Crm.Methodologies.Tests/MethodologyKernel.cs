using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Crm.Kernel.Journal;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Methodologies.Tests;

/// <summary>
/// A kernel on the in-memory store with a fake clock, one plug-in added as a package reference, and a small team:
/// an administrator, a head and two sellers.
/// </summary>
public sealed class MethodologyKernel : IAsyncDisposable
{
    public static readonly UserId Admin = new("admin");
    public static readonly UserId Head = new("head");
    public static readonly UserId Seller = new("seller");
    public static readonly UserId Finance = new("finance");

    /// <summary>Monday 2 March 2026, 09:00 UTC: the start of a working day.</summary>
    public static readonly Instant Start = Instant.FromUtc(2026, 3, 2, 9, 0);

    private readonly ServiceProvider _provider;

    private MethodologyKernel(ServiceProvider provider, FakeClock clock)
    {
        _provider = provider;
        Clock = clock;
        Kernel = provider.GetRequiredService<CrmKernel>();
    }

    public CrmKernel Kernel { get; }

    /// <summary>The clock the kernel reads.</summary>
    public FakeClock Clock { get; }

    public TenantId Tenant { get; } = new("acme");

    public static async Task<MethodologyKernel> CreateAsync(ICrmPlugin plugin, string methodology)
    {
        var services = new ServiceCollection();
        var clock = new FakeClock(Start);
        services.AddSingleton<IClock>(clock);
        services.AddCrmKernel(crm => crm.UseInMemoryStore().AddPlugin(plugin));
        var kernel = new MethodologyKernel(services.BuildServiceProvider(), clock);
        await kernel.Kernel.InitializeTenantAsync(kernel.Tenant, Admin, "Ada Admin");
        var org = kernel.Session(Admin).Organization;
        await org.RegisterUserAsync(new NewUser(Head, "Hanna Head", CrmRole.Head));
        await org.DefineTeamAsync(new TeamId("team"), "Team", Head);
        await org.RegisterUserAsync(new NewUser(Seller, "Siri Seller", CrmRole.Seller) { Team = new TeamId("team") });
        await org.RegisterUserAsync(new NewUser(Finance, "Frode Finance", CrmRole.Seller) { Team = new TeamId("team") });
        await kernel.Session(Admin).Methodologies.InstallAsync(methodology);
        return kernel;
    }

    public CrmSession Session(UserId user) => Kernel.OpenSession(Tenant, user);

    /// <summary>Advances the kernel's clock and fires the timers that fell due, hour by hour.</summary>
    public async Task PassAsync(Duration duration)
    {
        var end = Clock.GetCurrentInstant() + duration;
        while (Clock.GetCurrentInstant() < end)
        {
            var step = Duration.Min(Duration.FromHours(1), end - Clock.GetCurrentInstant());
            Clock.Advance(step);
            await Kernel.Scheduler.RunDueAsync(Clock.GetCurrentInstant());
        }
    }

    public async Task<IReadOnlyList<JournalEntry>> JournalAsync() => await Session(Admin).Journal.ListAsync(0, 100_000);

    public async Task<Crm.Kernel.Deals.Deal> OpenDealAsync(PipelineId pipeline, string title, decimal amount, string currency = "EUR")
    {
        var client = await Session(Seller).Clients.RegisterAsync(new Crm.Kernel.Clients.NewClient(title + " AS") { Industry = "Manufacturing", Region = "North" });
        return await Session(Seller).Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, pipeline, Money.Of(amount, currency)) { Title = title });
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
