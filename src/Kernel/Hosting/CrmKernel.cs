using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Journal;
using Crm.Kernel.Organization;
using Crm.Kernel.Notifications;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using NodaTime;

namespace Crm.Kernel.Hosting;

/// <summary>
/// The CRM kernel: hands out sessions per (tenant, user) and sets tenants up. Get it from DI after
/// <c>services.AddCrmKernel(crm =&gt; crm.UseSqlite("Data Source=crm.db"))</c>. Thread-safe; one per application.
/// </summary>
public sealed class CrmKernel : IDisposable
{
    private readonly KernelContext _context;
    private readonly SessionFactory _sessions;

    /// <summary>Built by the container from its parts (see <c>AddCrmKernel</c>); nothing is created here.</summary>
    internal CrmKernel(KernelContext context, SessionFactory sessions, CrmScheduler scheduler, Crm.Kernel.Telephony.TelephonyIntake telephony,
        Crm.Kernel.Integration.OrderIntake orders, Crm.Kernel.Integration.WebhookDelivery webhooks, NotificationDelivery notifications)
    {
        _context = context;
        _sessions = sessions;
        Scheduler = scheduler;
        Telephony = telephony;
        Orders = orders;
        Webhooks = webhooks;
        Notifications = notifications;
    }

    /// <summary>Call events from telephony adapters: caller recognition, unknown callers, missed calls.</summary>
    public Crm.Kernel.Telephony.TelephonyIntake Telephony { get; }

    /// <summary>Outbound webhook delivery from the journal (signed, retried, dead letters with replay).</summary>
    public Crm.Kernel.Integration.WebhookDelivery Webhooks { get; }

    /// <summary>Website order intake.</summary>
    public Crm.Kernel.Integration.OrderIntake Orders { get; }

    /// <summary>The kernel's own registry: the tenant that lists the tenants.</summary>
    internal static TenantId RegistryTenant { get; } = new("_crm");

    /// <summary>Delivers committed notifications (mail, channels) and retries failed ones; the hosted service runs it.</summary>
    public NotificationDelivery Notifications { get; }

    /// <summary>The tenants set up with <see cref="InitializeTenantAsync"/>, in id order.</summary>
    public async Task<IReadOnlyList<TenantId>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        var tenants = new List<TenantId>();
        await foreach (var document in _context.Store.QueryAsync(RegistryTenant, Kinds.Tenant.Name, null, cancellationToken).ConfigureAwait(false))
        {
            tenants.Add(new TenantId(document.Id));
        }

        return tenants;
    }

    /// <summary>The durable-timer scheduler; call <see cref="CrmScheduler.RunDueAsync"/> (the hosted service does it in real time).</summary>
    public CrmScheduler Scheduler { get; }

    /// <summary>Does nothing: the container owns the kernel's parts and disposes them (the webhook HTTP client among them).</summary>
    public void Dispose()
    {
    }

    /// <summary>The store the kernel writes to.</summary>
    public ICrmStore Store => _context.Store;

    /// <summary>The clock the kernel reads "now" from.</summary>
    public IClock Clock => _context.Clock;

    internal KernelContext Context => _context;

    /// <summary>The engines and settings sessions share.</summary>
    internal KernelParts Parts => _sessions.Parts;

    /// <summary>Opens a session for a user of a tenant. The user is checked on each call, not here.</summary>
    public CrmSession OpenSession(TenantId tenant, UserId user)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant.Value, nameof(tenant));
        ArgumentException.ThrowIfNullOrEmpty(user.Value, nameof(user));
        return _sessions.Open(tenant, user);
    }

    /// <summary>
    /// Sets a tenant up with its first administrator. Does nothing when that administrator already exists, so it is
    /// safe to call at every start.
    /// </summary>
    /// <returns>The administrator.</returns>
    /// <exception cref="CrmValidationException">The name is empty.</exception>
    /// <exception cref="InvalidStateException">The user exists but is not an active administrator.</exception>
    public async Task<CrmUser> InitializeTenantAsync(TenantId tenant, UserId admin, string adminName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant.Value, nameof(tenant));
        ArgumentException.ThrowIfNullOrEmpty(admin.Value, nameof(admin));
        if (string.IsNullOrWhiteSpace(adminName))
        {
            throw new CrmValidationException("adminName", "the administrator needs a name.");
        }

        var unit = _context.Begin(tenant, null);
        var existing = await unit.FindAsync(Kinds.User, admin.Value, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing is { Role: CrmRole.Admin, IsActive: true }
                ? existing
                : throw new InvalidStateException($"User '{admin}' exists in tenant '{tenant}' but is not an active administrator.");
        }

        var created = (CrmUser)(await unit.RecordAsync(new UserRegistered(admin, adminName.Trim(), CrmRole.Admin, null, null, null), Cause.System("tenant initialized"), cancellationToken).ConfigureAwait(false))!;
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        var registry = _context.Begin(RegistryTenant, null);
        if (await registry.FindAsync(Kinds.Tenant, tenant.Value, cancellationToken).ConfigureAwait(false) is null)
        {
            await registry.RecordAsync(new TenantRegistered(tenant), Cause.System("tenant initialized"), cancellationToken).ConfigureAwait(false);
            try
            {
                await registry.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyConflictException)
            {
                // Another host registered it at the same time.
            }
        }

        return created with { Version = 1 };
    }

    /// <summary>
    /// Folds the tenant's whole journal and compares the result with every stored record: the check that a backup or
    /// a restored copy is consistent. Returns the differences (none when consistent).
    /// </summary>
    public Task<JournalVerification> VerifyJournalAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
        JournalReplay.VerifyAsync(_context, tenant, cancellationToken);
}
