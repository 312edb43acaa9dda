using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Abstractions.Storage;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Validation;
using NodaTime;

namespace Crm.Kernel.Tasks;

/// <summary>What it takes to create a work task.</summary>
/// <param name="Title">What to do.</param>
/// <param name="Due">When it is due.</param>
public sealed record NewWorkTask(string Title, Instant Due)
{
    /// <summary>Who does it; null: the session's user.</summary>
    public UserId? Assignee { get; init; }
    /// <summary>The deal it is about.</summary>
    public DealId? Deal { get; init; }
    /// <summary>The client it is about.</summary>
    public ClientId? Client { get; init; }
}

/// <summary>Work tasks as one session sees them (own tasks; a head also the team's).</summary>
public sealed class SessionTasks
{
    private readonly CrmSession _session;

    internal SessionTasks(CrmSession session) => _session = session;

    /// <summary>Creates a task.</summary>
    /// <exception cref="CrmValidationException">Empty title or an inactive assignee; a title that is not valid UTF-16 text, or a due instant outside 1900–2200.</exception>
    /// <exception cref="AccessDeniedException">The assignee or the deal is outside the user's visibility.</exception>
    /// <exception cref="EntityNotFoundException">The client does not exist or the user does not see it.</exception>
    public async Task<WorkTask> CreateAsync(NewWorkTask task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (string.IsNullOrWhiteSpace(task.Title) || task.Title.Length > 500)
        {
            throw new CrmValidationException("title", "a task needs a title of 1 to 500 characters.");
        }

        InputRules.RequireText("title", task.Title, TextLimits.Title, required: true);
        InputRules.RequireInstant("due", task.Due);

        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var assignee = task.Assignee ?? actor.Id;
        actor.RequireCanActFor(assignee, "give a task to a user outside their team", $"user '{assignee}'");
        if (await unit.FindAsync(Kinds.User, assignee.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            throw new CrmValidationException("assignee", $"user '{assignee}' is not an active user of this tenant.");
        }

        if (task.Deal is { } dealId)
        {
            var deal = await unit.GetAsync(Kinds.Deal, dealId.Value, cancellationToken).ConfigureAwait(false);
            actor.RequireCanActFor(deal.Owner, "add a task to a deal", $"deal '{dealId}'");
            if (task.Client is { } about && about != deal.Client)
            {
                throw new CrmValidationException("client", $"deal '{dealId}' is not a deal of client '{about}'.");
            }
        }

        if (task.Client is { } clientId)
        {
            // Same rule as everywhere: a task names only a client card the user sees.
            await RecordOwner.VisibleClientAsync(unit, actor, clientId, cancellationToken).ConfigureAwait(false);
        }

        var id = WorkTaskId.New();
        await unit.RecordAsync(new WorkTaskCreated(id, task.Title.Trim(), assignee, task.Due, task.Deal, task.Client), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Task, id.Value);
    }

    /// <summary>Marks a task done.</summary>
    /// <exception cref="InvalidStateException">It is not open.</exception>
    public Task<WorkTask> CompleteAsync(WorkTaskId id, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, "complete a task", t => new WorkTaskCompleted(t.Id), cancellationToken);

    /// <summary>Cancels a task.</summary>
    /// <exception cref="CrmValidationException">The reason is longer than 4,000 characters or not valid UTF-16 text.</exception>
    public Task<WorkTask> CancelAsync(WorkTaskId id, string? reason = null, CancellationToken cancellationToken = default)
    {
        InputRules.RequireText("reason", reason, TextLimits.Value);
        return ChangeAsync(id, "cancel a task", t => new WorkTaskCancelled(t.Id, reason), cancellationToken);
    }

    /// <summary>Hands an open task to another active user.</summary>
    public async Task<WorkTask> ReassignAsync(WorkTaskId id, UserId to, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(to, "give a task to a user outside their team", $"user '{to}'");
        if (await unit.FindAsync(Kinds.User, to.Value, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            throw new CrmValidationException("to", $"user '{to}' is not an active user of this tenant.");
        }

        return await ChangeAsync(unit, actor, id, "reassign a task", t => new WorkTaskReassigned(t.Id, t.Assignee, to), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the tasks the session may see, optionally only open ones, by due time.</summary>
    public async Task<IReadOnlyList<WorkTask>> ListAsync(bool openOnly = true, UserId? assignee = null, CancellationToken cancellationToken = default)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<WorkTask>();
        IEnumerable<IndexEntry?> scans = assignee is { } a
            ? (actor.CanSee(a) ? [new IndexEntry(openOnly ? "assignee-open" : "assignee", a.Value)] : [])
            : actor.VisibleOwners is { } owners
                ? owners.Select(o => (IndexEntry?)new IndexEntry(openOnly ? "assignee-open" : "assignee", o.Value)).ToArray()
                : [null];
        foreach (var index in scans)
        {
            await foreach (var document in unit.Context.Store.QueryAsync(unit.Tenant, Kinds.Task.Name, index, cancellationToken).ConfigureAwait(false))
            {
                var task = (WorkTask)Kinds.Task.Read(document);
                if (!openOnly || task.Status == WorkTaskStatus.Open)
                {
                    result.Add(task);
                }
            }
        }

        result.Sort((x, y) => x.Due != y.Due ? x.Due.CompareTo(y.Due) : string.CompareOrdinal(x.Id.Value, y.Id.Value));
        return result;
    }

    /// <summary>
    /// The planner view: the visible users' open tasks per working day, from <paramref name="from"/> (default: today in
    /// the tenant's business calendar's zone) over <paramref name="workingDays"/> working days (default 15: three weeks).
    /// </summary>
    /// <exception cref="CrmValidationException">The number of days is not from 1 to 260, or the first day is before 1900 or from 2200 on.</exception>
    public async Task<Workload> GetWorkloadAsync(LocalDate? from = null, int workingDays = 15, CancellationToken cancellationToken = default)
    {
        if (workingDays is < 1 or > 260)
        {
            throw new CrmValidationException("workingDays", $"must be from 1 to 260; got {workingDays}.");
        }

        var dateErrors = new List<ValidationError>(0);
        if (!InputRules.Date(dateErrors, "from", from))
        {
            throw new CrmValidationException(dateErrors);
        }

        var (calendarUnit, _) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        var calendar = await _session.Parts.Processes.Configuration.CalendarAsync(calendarUnit, cancellationToken).ConfigureAwait(false);
        var tasks = await ListAsync(openOnly: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        var start = from ?? _session.Context.Clock.GetCurrentInstant().InZone(calendar.TimeZone).Date;
        if (!calendar.IsWorkingDay(start))
        {
            start = calendar.AddWorkingDays(start, 1);
        }

        var days = new List<LocalDate>(workingDays) { start };
        while (days.Count < workingDays)
        {
            days.Add(calendar.AddWorkingDays(days[^1], 1));
        }

        var index = new Dictionary<LocalDate, int>();
        for (var i = 0; i < days.Count; i++)
        {
            index[days[i]] = i;
        }

        var rows = new SortedDictionary<string, (int[] PerDay, int Overdue, int Later)>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            if (!rows.TryGetValue(task.Assignee.Value, out var row))
            {
                row = (new int[days.Count], 0, 0);
            }

            var date = task.Due.InZone(calendar.TimeZone).Date;
            if (!calendar.IsWorkingDay(date))
            {
                date = calendar.AddWorkingDays(date, 1);
            }

            if (date < days[0])
            {
                row.Overdue++;
            }
            else if (index.TryGetValue(date, out var i))
            {
                row.PerDay[i]++;
            }
            else
            {
                row.Later++;
            }

            rows[task.Assignee.Value] = row;
        }

        return new Workload(days, rows.Select(r => new WorkloadRow(new UserId(r.Key), r.Value.PerDay, r.Value.Overdue, r.Value.Later)).ToArray());
    }

    private async Task<WorkTask> ChangeAsync(WorkTaskId id, string action, Func<WorkTask, DomainEvent> change, CancellationToken cancellationToken)
    {
        var (unit, actor) = await _session.BeginAsync(cancellationToken).ConfigureAwait(false);
        return await ChangeAsync(unit, actor, id, action, change, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<WorkTask> ChangeAsync(UnitOfWork unit, SessionActor actor, WorkTaskId id, string action, Func<WorkTask, DomainEvent> change, CancellationToken cancellationToken)
    {
        var task = await unit.GetAsync(Kinds.Task, id.Value, cancellationToken).ConfigureAwait(false);
        actor.RequireCanActFor(task.Assignee, action, $"task '{id}'");
        if (task.Status != WorkTaskStatus.Open)
        {
            throw new InvalidStateException($"Task '{id}' is {task.Status.ToString().ToLowerInvariant()}; only open tasks can be changed.");
        }

        await unit.RecordAsync(change(task), Cause.Manual, cancellationToken).ConfigureAwait(false);
        await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
        return unit.Result(Kinds.Task, id.Value);
    }
}
