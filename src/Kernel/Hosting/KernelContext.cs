using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Hosting;

/// <summary>
/// What a unit of work needs and nothing else: the store, the clock, the id generator, the aggregate cache, the event
/// types, the reactors that run inside a unit, the reaction depth limit, and the commit notification. Built by the
/// container (see <c>AddCrmKernel</c>); immutable apart from the <see cref="Committed"/> event. Engines and adapters are
/// not reachable from it: each gets what it uses from the container.
/// </summary>
internal sealed class KernelContext
{
    public KernelContext(ICrmStore store, IClock clock, AggregateCache cache, IEnumerable<IUnitOfWorkReactor> reactors, int maxReactionDepth)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(reactors);
        Store = store;
        Clock = clock;
        Cache = cache;
        Reactors = reactors.ToArray();
        MaxReactionDepth = maxReactionDepth;
    }

    /// <summary>The commit and event ids of this kernel's units (see <see cref="OrderedIds"/>).</summary>
    public OrderedIds Ids { get; } = new();

    /// <summary>Parsed aggregate states shared by this kernel's units (see <see cref="AggregateCache"/>).</summary>
    public AggregateCache Cache { get; }

    public ICrmStore Store { get; }

    public IClock Clock { get; }

    /// <summary>The reactors a unit runs after each recorded event (goals, rules, processes, task timers).</summary>
    public IReadOnlyList<IUnitOfWorkReactor> Reactors { get; }

    /// <summary>How deep reactions may trigger each other within one unit (<see cref="CrmKernelOptions.MaxReactionDepth"/>).</summary>
    public int MaxReactionDepth { get; }

    public EventTypeRegistry EventTypes { get; } = new();

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

/// <summary>
/// The engines and settings a session's façades share, built once by the container and never changed: the process
/// engine (with the default business calendar), the rule engine, the methodology catalog, the contact normalizer, the
/// telephony gateway (if one is registered) and the kernel options. Units of work do not reach it.
/// </summary>
internal sealed class KernelParts
{
    public KernelParts(Crm.Kernel.Processes.ProcessEngine processes, Crm.Kernel.Rules.RuleEngine rules, Crm.Kernel.Methodologies.MethodologyCatalog methodologies,
        Crm.Kernel.Clients.ContactNormalizer contacts, CrmKernelOptions options, Crm.Abstractions.Ports.ITelephonyGateway? telephony)
    {
        Processes = processes;
        Rules = rules;
        Methodologies = methodologies;
        Contacts = contacts;
        Options = options;
        Telephony = telephony;
    }

    public Crm.Kernel.Processes.ProcessEngine Processes { get; }

    public Crm.Kernel.Rules.RuleEngine Rules { get; }

    public Crm.Kernel.Methodologies.MethodologyCatalog Methodologies { get; }

    public Crm.Kernel.Clients.ContactNormalizer Contacts { get; }

    public CrmKernelOptions Options { get; }

    public Crm.Abstractions.Ports.ITelephonyGateway? Telephony { get; }
}
