using Crm.Abstractions;
using Crm.Abstractions.Storage;
using Crm.Kernel.Deals;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Processes;

/// <summary>A process that needs attention: stalled past its step's deadline, or waiting for an event that cannot come.</summary>
/// <param name="Process">The instance.</param>
/// <param name="Reason">Why it is stalled, in words.</param>
/// <param name="Responsible">Who is responsible for its current step.</param>
public sealed record StalledProcess(ProcessInstance Process, string Reason, UserId? Responsible);

/// <summary>Business processes as one session sees them (those of visible deals).</summary>
public sealed class SessionProcesses
{
    private readonly CrmSession _session;

    internal SessionProcesses(CrmSession session) => _session = session;

    /// <summary>
    /// The templates registered in code or by plug-ins (newest version of each): the defaults of every tenant. A tenant's
    /// own templates are listed by <see cref="Configuration.SessionConfiguration.ListProcessTemplatesAsync"/>.
    /// </summary>
    public IReadOnlyList<ProcessTemplate> Templates => _session.Parts.Processes.Machine.Templates;

    /// <summary>Starts a process for a deal. Roles not given are played by the deal's owner (<c>head</c>: the owner's head).</summary>
    /// <exception cref="EntityNotFoundException">Unknown template or deal.</exception>
    /// <exception cref="AccessDeniedException">The deal is outside the user's visibility.</exception>
    /// <exception cref="CrmValidationException">A variable's name is not one line of 1 to 100 characters, or its value is longer than
    /// 10,000 characters, or either is not valid UTF-16 text.</exception>
    public async Task<ProcessInstance> OpenAsync(string templateId, DealId deal, IReadOnlyDictionary<string, UserId>? roles = null,
        IReadOnlyDictionary<string, string>? variables = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        var inputErrors = new List<ValidationError>();
        Validation.InputRules.Texts(inputErrors, "variables", variables, Validation.TextLimits.Key, Validation.TextLimits.FreeText);
        if (inputErrors.Count > 0)
        {
            throw new CrmValidationException(inputErrors);
        }

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(dealState.Owner, "start a process", $"deal '{deal}'");
        var instance = await _session.Parts.Processes.StartAsync(unit, templateId, deal, roles, variables, Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Process, instance.Id.Value);
    }

    /// <summary>Fires a trigger (a step done by hand, an approval, a rejection).</summary>
    /// <exception cref="InvalidStateException">The trigger is not permitted in the current step; the message lists those that are.</exception>
    public async Task<ProcessInstance> FireAsync(ProcessId processId, string trigger, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trigger);
        var (unit, actor, instance) = await LoadAsync(processId.Value, "move a process", cancellationToken).ConfigureAwait(false);
        if (expectedVersion is { } expected && expected != instance.Version)
        {
            throw new ConcurrencyConflictException("process", processId.Value, expected, instance.Version);
        }

        await _session.Parts.Processes.FireAsync(unit, instance, trigger, Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Process, processId.Value);
    }

    /// <summary>The triggers permitted now.</summary>
    public async Task<IReadOnlyList<string>> ListPermittedTriggersAsync(ProcessId processId, CancellationToken cancellationToken = default)
    {
        var (unit, _, instance) = await LoadAsync(processId.Value, "read a process", cancellationToken).ConfigureAwait(false);
        return await _session.Parts.Processes.PermittedTriggersAsync(unit, instance, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels a running process with a reason (journaled).</summary>
    public async Task<ProcessInstance> CancelAsync(ProcessId processId, string reason, CancellationToken cancellationToken = default)
    {
        RequireReason(reason);
        var (unit, _, instance) = await LoadAsync(processId.Value, "cancel a process", cancellationToken).ConfigureAwait(false);
        await _session.Parts.Processes.CancelAsync(unit, instance, reason.Trim(), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Process, processId.Value);
    }

    /// <summary>Gets a process of a visible deal.</summary>
    public async Task<ProcessInstance> GetAsync(ProcessId processId, CancellationToken cancellationToken = default) =>
        (await LoadAsync(processId.Value, "read a process", cancellationToken).ConfigureAwait(false)).Instance;

    /// <summary>The processes of a visible deal, oldest first.</summary>
    public async Task<IReadOnlyList<ProcessInstance>> ListForDealAsync(DealId deal, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var dealState = await unit.FindAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false);
        if (dealState is null || !actor.CanSee(dealState.Owner))
        {
            throw new EntityNotFoundException("deal", deal.Value);
        }

        var result = new List<ProcessInstance>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Process.Name, new IndexEntry("deal", deal.Value), cancellationToken).ConfigureAwait(false))
        {
            result.Add((ProcessInstance)Kinds.Process.Read(document));
        }

        result.Sort((a, b) => a.StartedAt.CompareTo(b.StartedAt));
        return result;
    }

    /// <summary>
    /// Zombie processes the user should look at: running instances stalled past their step's deadline, or waiting for an
    /// event about a deal that is already closed. A head sees those of the team's deals.
    /// </summary>
    public async Task<IReadOnlyList<StalledProcess>> ListStalledAsync(CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<StalledProcess>();
        await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Process.Name, new IndexEntry("status", "running"), cancellationToken).ConfigureAwait(false))
        {
            var instance = (ProcessInstance)Kinds.Process.Read(document);
            var deal = instance.Deal is { } d ? await unit.FindAsync(Kinds.Deal, d.Value, cancellationToken).ConfigureAwait(false) : null;
            if (deal is not null && !actor.CanSee(deal.Owner) || deal is null && !actor.IsAdmin)
            {
                continue;
            }

            string? reason = null;
            if (instance.Waits.Count > 0 && deal is { Status: not DealStatus.Open })
            {
                reason = $"waits for {string.Join(" or ", instance.Waits.Select(w => w.EventType))}, but deal {deal.Id} is {deal.Status.ToString().ToLowerInvariant()}";
            }
            else if (instance.StepDeadline is { } deadline && deadline < unit.Now)
            {
                reason = $"step '{instance.CurrentStep}' was due at {deadline} ({(unit.Now - deadline).TotalDays:0.#} days ago)";
            }

            if (reason is not null)
            {
                result.Add(new StalledProcess(instance, reason, await _session.Parts.Processes.ResponsibleAsync(unit, instance, cancellationToken).ConfigureAwait(false)));
            }
        }

        return result;
    }

    /// <summary>Cancels several processes in one journaled command (heads and administrators).</summary>
    /// <returns>How many were cancelled.</returns>
    public async Task<int> CancelManyAsync(IReadOnlyCollection<ProcessId> processIds, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processIds);
        RequireReason(reason);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        if (actor.User.Role == CrmRole.Seller)
        {
            throw new AccessDeniedException(actor.Id, "cancel processes in bulk");
        }

        foreach (var id in processIds.Distinct())
        {
            var instance = await unit.GetAsync(Kinds.Process, id.Value, cancellationToken).ConfigureAwait(false);
            await RequireVisibleAsync(unit, actor, instance, "cancel a process", cancellationToken).ConfigureAwait(false);
            await _session.Parts.Processes.CancelAsync(unit, instance, reason.Trim(), Cause.Manual, cancellationToken).ConfigureAwait(false);
        }

        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return processIds.Distinct().Count();
    }

    private async Task<(UnitOfWork Unit, SessionActor Actor, ProcessInstance Instance)> LoadAsync(string processId, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(processId);
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var instance = await unit.GetAsync(Kinds.Process, processId, cancellationToken).ConfigureAwait(false);
        await RequireVisibleAsync(unit, actor, instance, action, cancellationToken).ConfigureAwait(false);
        return (unit, actor, instance);
    }

    private static async ValueTask RequireVisibleAsync(UnitOfWork unit, SessionActor actor, ProcessInstance instance, string action, CancellationToken cancellationToken)
    {
        if (instance.Deal is { } deal)
        {
            var owner = (await unit.GetAsync(Kinds.Deal, deal.Value, cancellationToken).ConfigureAwait(false)).Owner;
            actor.RequireCanActFor(owner, action, $"process '{instance.Id}'");
        }
        else if (!actor.IsAdmin && !instance.Roles.Values.Contains(actor.Id))
        {
            throw new AccessDeniedException(actor.Id, action, $"process '{instance.Id}'");
        }
    }

    private static void RequireReason(string reason)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 1000)
        {
            throw new CrmValidationException("reason", "a reason of 1 to 1000 characters is required.");
        }

        Validation.InputRules.RequireText("reason", reason, 1000, required: true);
    }
}
