using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Storage;
using NodaTime;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;

namespace Crm.Kernel.Hosting;

/// <summary>What every command of one kernel shares: the store, the clock, the options and the reactors.</summary>
internal sealed class KernelContext
{
    public KernelContext(ICrmStore store, IClock clock, CrmKernelOptions options, IEnumerable<IUnitOfWorkReactor> reactors, IEnumerable<ProcessTemplate> templates,
        IEnumerable<Crm.Abstractions.Plugins.SalesMethodology>? methodologies = null)
    {
        Rules = reactors.OfType<RuleEngine>().FirstOrDefault() ?? new RuleEngine([], []);
        var calendar = new BusinessCalendar(options.Calendar);
        if (options.Calendar.TimeZone == DateTimeZone.Utc)
        {
            calendar = calendar.WithTimeZone(options.TimeZone);
        }

        Processes = new ProcessEngine(new ProcessMachine(clock), calendar, templates);
        Methodologies = new Crm.Kernel.Methodologies.MethodologyCatalog(methodologies ?? [], Processes);
        Store = store;
        Clock = clock;
        Options = options;
        Reactors = reactors.ToArray();
        Contacts = new ContactNormalizer(options.DefaultPhoneRegion);
        Cache = new AggregateCache(options.AggregateCacheSize);
    }

    /// <summary>The commit and event ids of this kernel's units (see <see cref="OrderedIds"/>).</summary>
    public OrderedIds Ids { get; } = new();

    /// <summary>Parsed aggregate states shared by this kernel's units (see <see cref="AggregateCache"/>).</summary>
    public AggregateCache Cache { get; }

    public ICrmStore Store { get; }

    /// <summary>Who this kernel is when it claims journal consumers: unique per kernel instance, readable in the lease row.</summary>
    public string ConsumerOwner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public ProcessEngine Processes { get; }

    /// <summary>Reads tenants' own settings (templates, calendars, …) over the defaults in code and options.</summary>
    public Crm.Kernel.Configuration.TenantConfiguration Configuration { get; } = new();

    public RuleEngine Rules { get; }

    public Crm.Kernel.Methodologies.MethodologyCatalog Methodologies { get; }

    public Crm.Abstractions.Ports.ITelephonyGateway? TelephonyGateway { get; set; }

    public IClock Clock { get; }

    public CrmKernelOptions Options { get; }

    public IReadOnlyList<IUnitOfWorkReactor> Reactors { get; }

    public EventTypeRegistry EventTypes { get; } = new();

    public ContactNormalizer Contacts { get; }

    /// <summary>Raised after each successful commit that appended events (journal consumers wake on it).</summary>
    public event Action<TenantId, CommitResult>? Committed;

    public UnitOfWork Begin(TenantId tenant, UserId? actor) => new(this, tenant, actor, Clock.GetCurrentInstant());

    /// <summary>A command's unit that takes cached states without reading the store; its commit checks their versions.</summary>
    public UnitOfWork BeginCommand(TenantId tenant, UserId? actor) => new(this, tenant, actor, Clock.GetCurrentInstant(), cachedReads: Cache.Enabled);

    /// <summary>A unit whose "now" is given (the scheduler fires timers at the run's instant).</summary>
    public UnitOfWork Begin(TenantId tenant, UserId? actor, Instant now) => new(this, tenant, actor, now);

    public void AfterCommit(TenantId tenant, CommitResult result)
    {
        if (result.LastPosition > 0)
        {
            Committed?.Invoke(tenant, result);
        }
    }
}
