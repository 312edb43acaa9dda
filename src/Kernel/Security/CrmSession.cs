using Crm.Abstractions;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Journal;
using Crm.Kernel.Organization;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Processes;
using Crm.Kernel.Notifications;
using Crm.Kernel.Rules;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Telephony;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;

namespace Crm.Kernel.Security;

/// <summary>
/// The kernel as one user of one tenant sees it. Every command and query goes through a session and is checked
/// against the user's rights: by default a seller sees and changes only their own records, a head the team's, an
/// administrator everything and the configuration; a permission set the tenant's administrator gives a user replaces
/// the role's defaults (see docs/security.md). The user's role and set are read again on every call, so a deactivation
/// or a new set takes effect at once. Sessions are cheap, hold no connection, and are safe to use from several threads.
/// </summary>
/// <example><code>
/// var session = kernel.OpenSession(new TenantId("acme"), new UserId("ann"));
/// var deal = await session.Deals.OpenAsync(new NewDeal(client.Id, pipelineId, Money.Of(1200m, "USD")));
/// </code></example>
public sealed class CrmSession
{
    private readonly KernelContext _context;

    internal CrmSession(KernelContext context, KernelParts parts, TenantId tenant, UserId user)
    {
        _context = context;
        Parts = parts;
        Tenant = tenant;
        User = user;
        Deals = new SessionDeals(this);
        Clients = new SessionClients(this);
        Tasks = new SessionTasks(this);
        Activities = new SessionActivities(this);
        Organization = new SessionOrganization(this);
        Pipelines = new SessionPipelines(this);
        Journal = new SessionJournal(this);
        Processes = new SessionProcesses(this);
        Inbox = new SessionInbox(this);
        Rules = new SessionRules(this);
        Products = new SessionProducts(this);
        Invoices = new SessionInvoices(this);
        Telephony = new SessionTelephony(this, parts.Telephony);
        Webhooks = new Crm.Kernel.Integration.SessionWebhooks(this);
        Import = new Crm.Kernel.Import.SessionImport(this);
        Reports = new Crm.Kernel.Reports.SessionReports(this);
        Methodologies = new Crm.Kernel.Methodologies.SessionMethodologies(this);
        Configuration = new Crm.Kernel.Configuration.SessionConfiguration(this);
        Stock = new Crm.Kernel.Stock.SessionStock(this);
    }

    /// <summary>The tenant's own configuration (administrators): process templates, business calendar, users' hours, order intake.</summary>
    public Crm.Kernel.Configuration.SessionConfiguration Configuration { get; }

    /// <summary>Import of history from another CRM (administrators).</summary>
    public Crm.Kernel.Import.SessionImport Import { get; }

    /// <summary>Sales methodologies from plug-ins: list and install (administrators), classifiers and report presets.</summary>
    public Crm.Kernel.Methodologies.SessionMethodologies Methodologies { get; }

    /// <summary>Sales reports over what the session may see.</summary>
    public Crm.Kernel.Reports.SessionReports Reports { get; }

    /// <summary>Webhook subscriptions (administrators).</summary>
    public Crm.Kernel.Integration.SessionWebhooks Webhooks { get; }

    /// <summary>The product catalogue.</summary>
    public SessionProducts Products { get; }

    /// <summary>Invoices: build from products, issue, mark paid, cancel, print.</summary>
    public SessionInvoices Invoices { get; }

    /// <summary>Click-to-call.</summary>
    public SessionTelephony Telephony { get; }

    /// <summary>The user's in-app inbox.</summary>
    public SessionInbox Inbox { get; }

    /// <summary>Business rules: define, enable, dry-run, exceptions and their approval, compliance.</summary>
    public SessionRules Rules { get; }

    /// <summary>Business processes: start, fire triggers, cancel, find stalled ones.</summary>
    public SessionProcesses Processes { get; }

    /// <summary>The tenant.</summary>
    public TenantId Tenant { get; }

    /// <summary>The user.</summary>
    public UserId User { get; }

    /// <summary>Deals: open, move, achieve goals, Kanban board.</summary>
    public SessionDeals Deals { get; }

    /// <summary>Client cards.</summary>
    public SessionClients Clients { get; }

    /// <summary>Work tasks.</summary>
    public SessionTasks Tasks { get; }

    /// <summary>Calls, e-mails, meetings and notes.</summary>
    public SessionActivities Activities { get; }

    /// <summary>Users, teams and permission sets (administrators change them).</summary>
    public SessionOrganization Organization { get; }

    /// <summary>Pipelines with stages and goals (administrators define them).</summary>
    public SessionPipelines Pipelines { get; }

    /// <summary>The tenant's journal (administrators read all of it; heads the entries of their team's records).</summary>
    public SessionJournal Journal { get; }

    /// <summary>Warehouses and stock: movements (administrators), stock levels (everyone).</summary>
    public Crm.Kernel.Stock.SessionStock Stock { get; }

    internal KernelContext Context => _context;

    /// <summary>The engines and settings the façades share (immutable, built by the container).</summary>
    internal KernelParts Parts { get; }

    internal async ValueTask<(UnitOfWork Unit, SessionActor Actor)> BeginAsync(CancellationToken cancellationToken, bool cachedReads = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var unit = cachedReads ? _context.BeginCommand(Tenant, User) : _context.Begin(Tenant, User);
        var actor = await SessionActor.ResolveAsync(unit, User, cancellationToken).ConfigureAwait(false);
        return (unit, actor);
    }

    /// <summary>
    /// Runs a command (it commits its unit itself) on cached states where the kernel has them. When it fails — a
    /// conflict at commit because a cached state was stale, or any other kernel error that a stale state could have
    /// caused — it runs once more on fresh reads, and that run's outcome stands.
    /// </summary>
    internal async Task<T> CommandAsync<T>(Func<UnitOfWork, SessionActor, CancellationToken, ValueTask<T>> command, CancellationToken cancellationToken)
    {
        var (unit, actor) = await BeginAsync(cancellationToken, cachedReads: true).ConfigureAwait(false);
        try
        {
            return await command(unit, actor, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException) when (unit.ReadFromCache && !unit.Stored)
        {
            unit.ForgetCachedStates();
        }

        (unit, actor) = await BeginAsync(cancellationToken).ConfigureAwait(false);
        return await command(unit, actor, cancellationToken).ConfigureAwait(false);
    }
}
