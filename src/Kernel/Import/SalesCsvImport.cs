using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using NodaTime;

namespace Crm.Kernel.Import;

/// <summary>Options of <see cref="SalesCsvImport"/>.</summary>
public sealed record CsvImportOptions
{
    /// <summary>The pipeline deals are imported into (it must exist, with the stages the history names).</summary>
    public required PipelineId Pipeline { get; init; }
    /// <summary>Merge a client card whose normalized phone or e-mail matches an earlier one (true), or report it as a bad row.</summary>
    public bool MergeDuplicates { get; init; } = true;
    /// <summary>Import the good rows and list the bad ones (true), or reject the whole import when any row is bad (false).</summary>
    public bool SkipBadRows { get; init; }
    /// <summary>
    /// The IANA time zone (e.g. <c>Europe/Oslo</c>) that dates and times without an offset are read in
    /// (<c>2016-10-20</c> is the start of that day there). Null, the default: the tenant's business calendar's zone.
    /// </summary>
    public string? TimeZone { get; init; }
}

/// <summary>What an import did.</summary>
/// <param name="Users">Users imported.</param>
/// <param name="Clients">Client cards created.</param>
/// <param name="MergedDuplicates">Client rows merged into an earlier card (original id → card id).</param>
/// <param name="Deals">Deals imported (already present ones are skipped: re-running resumes).</param>
/// <param name="Targets">Targets set.</param>
/// <param name="BadRows">Rows skipped, each <c>file:line, column name: reason</c>.</param>
public sealed record CsvImportResult(int Users, int Clients, IReadOnlyDictionary<string, string> MergedDuplicates, int Deals, int Targets, IReadOnlyList<string> BadRows)
{
    /// <summary>The rows skipped, with their file, line and column (the same as <see cref="BadRows"/>, typed).</summary>
    public IReadOnlyList<CsvImportProblem> Problems { get; init; } = [];
}

/// <summary>
/// Imports another CRM's export (sellers.csv, clients.csv, deals.csv, stage_history.csv and an optional targets.csv —
/// the layout of the sample data set, described in docs/import.md) through an administrator's session, so every rule
/// of the kernel applies. Every row is read and checked against the files and the tenant before the first write: an
/// import with bad rows is rejected as a whole with each problem's file, line and column and nothing is written,
/// unless <see cref="CsvImportOptions.SkipBadRows"/>, which imports the good rows and lists the bad ones. History
/// keeps its original instants. Re-running the same files resumes: what exists already is skipped.
/// </summary>
public static class SalesCsvImport
{
    /// <summary>The largest deal amount or revenue target accepted (one trillion); amounts are 0 or more.</summary>
    public const decimal MaxAmount = 1_000_000_000_000m;

    /// <summary>Imports the files of <paramref name="folder"/>.</summary>
    /// <exception cref="CsvImportException">
    /// A file or a required column is missing, or there are bad rows and <see cref="CsvImportOptions.SkipBadRows"/> is
    /// false; nothing was written. Its <see cref="CsvImportException.Problems"/> lists every problem. Also when a write
    /// fails after the checks passed (a concurrent change) and <see cref="CsvImportOptions.SkipBadRows"/> is false: the
    /// rows before it are written, and re-running resumes.
    /// </exception>
    /// <exception cref="CrmValidationException"><see cref="CsvImportOptions.TimeZone"/> is not an IANA time zone id.</exception>
    /// <exception cref="EntityNotFoundException">The pipeline does not exist.</exception>
    /// <exception cref="AccessDeniedException">The session is not an administrator's.</exception>
    public static async Task<CsvImportResult> ImportAsync(CrmSession admin, string folder, CsvImportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        var (unit, actor) = await admin.BeginAsync(cancellationToken).ConfigureAwait(false);
        actor.RequireAdmin("import");
        DateTimeZone zone;
        if (options.TimeZone is null)
        {
            zone = (await admin.Parts.Processes.Configuration.CalendarAsync(unit, cancellationToken).ConfigureAwait(false)).TimeZone;
        }
        else
        {
            zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.TimeZone)
                ?? throw new CrmValidationException("timeZone", $"'{options.TimeZone}' is not an IANA time zone id such as 'Europe/Oslo'.");
        }

        var pipeline = await admin.Pipelines.GetAsync(options.Pipeline, cancellationToken).ConfigureAwait(false);
        var plan = await CsvImportPlan.CheckAsync(admin, folder, options, pipeline, zone, cancellationToken).ConfigureAwait(false);
        if (plan.Fatal.Count > 0)
        {
            throw new CsvImportException(plan.Fatal);
        }

        if (plan.Problems.Count > 0 && !options.SkipBadRows)
        {
            throw new CsvImportException(plan.Problems);
        }

        return await WriteAsync(admin, plan, options, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CsvImportResult> WriteAsync(CrmSession admin, CsvImportPlan plan, CsvImportOptions options, CancellationToken cancellationToken)
    {
        var problems = new List<CsvImportProblem>(plan.Problems);
        var users = 0;
        var failedUsers = new HashSet<UserId>();

        // A write can still fail for a reason the checks cannot see (another session changed the tenant meanwhile):
        // with SkipBadRows the row is listed and the import goes on; otherwise it stops there and says so.
        async Task<bool> TryAsync(string file, int line, Func<Task> write)
        {
            try
            {
                await write().ConfigureAwait(false);
                return true;
            }
            catch (CrmException e)
            {
                var problem = new CsvImportProblem(file, line, null, $"could not be written: {CsvCells.Show(e.Message, 300)}");
                if (!options.SkipBadRows)
                {
                    throw new CsvImportException([problem], "The import stopped while writing (the rows before this one are imported; fix it and re-run the import to resume)");
                }

                problems.Add(problem);
                return false;
            }
        }

        foreach (var head in plan.Sellers.Where(s => s.IsHead))
        {
            var ok = await TryAsync(CsvImportPlan.SellersFile, head.Line, async () =>
            {
                if (!plan.ExistingUsers.Contains(head.Id))
                {
                    await admin.Organization.RegisterUserAsync(new NewUser(head.Id, head.Name, CrmRole.Head) { TimeZone = head.Zone }, cancellationToken).ConfigureAwait(false);
                    users++;
                }

                await admin.Organization.DefineTeamAsync(head.Team, head.TeamName, head.Id, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (!ok)
            {
                failedUsers.Add(head.Id);
            }
        }

        foreach (var seller in plan.Sellers.Where(s => !s.IsHead && !plan.ExistingUsers.Contains(s.Id)))
        {
            if (!await TryAsync(CsvImportPlan.SellersFile, seller.Line, async () =>
                {
                    await admin.Organization.RegisterUserAsync(new NewUser(seller.Id, seller.Name) { Team = seller.Team, TimeZone = seller.Zone }, cancellationToken).ConfigureAwait(false);
                    users++;
                }).ConfigureAwait(false))
            {
                failedUsers.Add(seller.Id);
            }
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = 0;
        var failedClients = new HashSet<ClientId>();
        foreach (var client in plan.Clients.Where(c => !plan.ExistingClients.Contains(c.Id)))
        {
            if (!await TryAsync(CsvImportPlan.ClientsFile, client.Line, async () =>
                {
                    var card = await admin.Clients.RegisterAsync(new NewClient(client.Name, client.Kind)
                    {
                        Id = client.Id,
                        Contacts = client.Phone is null && client.Email is null ? [] : [new ClientContact(null, client.Phone, client.Email)],
                        Region = client.Region,
                        City = client.City,
                        Industry = client.Industry,
                        RegisteredAt = client.RegisteredAt,
                    }, options.MergeDuplicates ? DuplicateHandling.Merge : DuplicateHandling.Fail, cancellationToken).ConfigureAwait(false);
                    if (card.Id != client.Id)
                    {
                        merged[client.Id.Value] = card.Id.Value;
                    }
                    else
                    {
                        created++;
                    }
                }).ConfigureAwait(false))
            {
                failedClients.Add(client.Id);
            }
        }

        var imported = 0;
        foreach (var deal in plan.Deals)
        {
            var client = merged.TryGetValue(deal.Client.Value, out var into) ? new ClientId(into) : deal.Client;
            if (failedUsers.Contains(deal.Owner) || failedClients.Contains(deal.Client))
            {
                problems.Add(new CsvImportProblem(CsvImportPlan.DealsFile, deal.Line, null, "skipped: its owner or client could not be written (listed above)."));
                continue;
            }

            await TryAsync(CsvImportPlan.DealsFile, deal.Line, async () =>
            {
                if (await admin.Import.ImportDealAsync(new ImportedDeal(deal.Id, client, plan.Pipeline, deal.Owner, deal.Amount, deal.History) { Source = deal.Source }, cancellationToken).ConfigureAwait(false))
                {
                    imported++;
                }
            }).ConfigureAwait(false);
        }

        var targets = 0;
        foreach (var target in plan.Targets)
        {
            if (failedUsers.Contains(target.Owner))
            {
                problems.Add(new CsvImportProblem(CsvImportPlan.TargetsFile, target.Line, null, "skipped: its seller could not be written (listed above)."));
                continue;
            }

            if (await TryAsync(CsvImportPlan.TargetsFile, target.Line, () => admin.Import.DefineTargetAsync(target.Owner, target.Start, target.End, target.Amount, cancellationToken)).ConfigureAwait(false))
            {
                targets++;
            }
        }

        return new CsvImportResult(users, created, merged, imported, targets, problems.Select(p => p.ToString()).ToArray()) { Problems = problems };
    }
}
