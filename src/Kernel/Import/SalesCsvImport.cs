using System.Globalization;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using CsvHelper;
using NodaTime;
using NodaTime.Text;

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
}

/// <summary>What an import did.</summary>
/// <param name="Users">Users imported.</param>
/// <param name="Clients">Client cards created.</param>
/// <param name="MergedDuplicates">Client rows merged into an earlier card (original id → card id).</param>
/// <param name="Deals">Deals imported (already present ones are skipped: re-running resumes).</param>
/// <param name="Targets">Targets set.</param>
/// <param name="BadRows">Rows skipped, each "file:line: reason".</param>
public sealed record CsvImportResult(int Users, int Clients, IReadOnlyDictionary<string, string> MergedDuplicates, int Deals, int Targets, IReadOnlyList<string> BadRows);

/// <summary>
/// Imports another CRM's export (sellers.csv, clients.csv, deals.csv, stage_history.csv, targets.csv — the layout of
/// the sample data set) through an administrator's session, so every rule of the kernel applies. All rows are read
/// and checked first: a file with bad rows is rejected as a whole with each bad row's line and reason, unless
/// <see cref="CsvImportOptions.SkipBadRows"/>. History keeps its original instants.
/// </summary>
public static class SalesCsvImport
{
    /// <summary>Imports the five files of <paramref name="folder"/>.</summary>
    /// <exception cref="CrmValidationException">Bad rows (and <see cref="CsvImportOptions.SkipBadRows"/> is false); nothing was imported.</exception>
    public static async Task<CsvImportResult> ImportAsync(CrmSession admin, string folder, CsvImportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(options);
        var bad = new List<string>();
        var sellers = Read(folder, "sellers.csv", bad, r => new
        {
            Id = new UserId(r.GetStringOrNull("seller_id")!),
            Name = r.GetStringOrNull("name")!,
            IsHead = r.GetStringOrNull("role") == "head",
            Team = r.GetStringOrNull("team")!,
            Zone = Zone(r.GetStringOrNull("time_zone")),
        });
        var contacts = new ContactNormalizer(admin.Context.Contacts.DefaultRegion);
        var clients = Read(folder, "clients.csv", bad, r => new
        {
            Id = new ClientId(r.GetStringOrNull("client_id")!),
            Name = r.GetStringOrNull("name")!,
            Kind = r.GetStringOrNull("kind") == "person" ? ClientKind.Person : ClientKind.Company,
            Region = r.GetStringOrNull("region"),
            City = r.GetStringOrNull("city"),
            Industry = r.GetStringOrNull("industry"),
            Phone = Empty(r.GetStringOrNull("phone")) is { } p ? contacts.NormalizePhone(p) : null,
            Email = Empty(r.GetStringOrNull("email")) is { } e ? contacts.NormalizeEmail(e) : null,
            RegisteredAt = InstantPattern.ExtendedIso.Parse(r.GetStringOrNull("registered_at")!).GetValueOrThrow(),
        });
        var stays = Read(folder, "stage_history.csv", bad, r => new
        {
            Deal = r.GetStringOrNull("deal_id")!,
            Stage = new StageId(r.GetStringOrNull("stage")!.ToLowerInvariant()),
            EnteredAt = InstantPattern.ExtendedIso.Parse(r.GetStringOrNull("entered_at")!).GetValueOrThrow(),
            LeftAt = Empty(r.GetStringOrNull("left_at")) is { } l ? InstantPattern.ExtendedIso.Parse(l).GetValueOrThrow() : (Instant?)null,
        });
        var deals = Read(folder, "deals.csv", bad, r => new
        {
            Id = new DealId(r.GetStringOrNull("deal_id")!),
            Client = new ClientId(r.GetStringOrNull("client_id")!),
            Owner = new UserId(r.GetStringOrNull("owner_id")!),
            Source = Empty(r.GetStringOrNull("source")),
            Amount = Money.Of(decimal.Parse(r.GetStringOrNull("amount")!, NumberStyles.Number, CultureInfo.InvariantCulture), r.GetStringOrNull("currency")!),
        });
        var targets = Read(folder, "targets.csv", bad, r => new
        {
            Owner = new UserId(r.GetStringOrNull("seller_id")!),
            Start = LocalDatePattern.Iso.Parse(r.GetStringOrNull("period_start")!).GetValueOrThrow(),
            End = LocalDatePattern.Iso.Parse(r.GetStringOrNull("period_end")!).GetValueOrThrow(),
            Target = Money.Of(decimal.Parse(r.GetStringOrNull("revenue_target")!, NumberStyles.Number, CultureInfo.InvariantCulture), r.GetStringOrNull("currency")!),
        });
        if (bad.Count > 0 && !options.SkipBadRows)
        {
            throw new CrmValidationException(bad.Select(b => new ValidationError(b[..b.IndexOf(": ", StringComparison.Ordinal)], b[(b.IndexOf(": ", StringComparison.Ordinal) + 2)..])).ToArray());
        }

        // Users and teams: heads first, each heading the team named on their row.
        var existing = (await admin.Organization.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Select(u => u.Id).ToHashSet();
        var users = 0;
        foreach (var head in sellers.Where(s => s.IsHead))
        {
            if (existing.Add(head.Id))
            {
                await admin.Organization.RegisterUserAsync(new NewUser(head.Id, head.Name, CrmRole.Head) { TimeZone = head.Zone }, cancellationToken).ConfigureAwait(false);
                users++;
            }

            await admin.Organization.DefineTeamAsync(TeamOf(head.Team), head.Team, head.Id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var seller in sellers.Where(s => !s.IsHead))
        {
            if (existing.Add(seller.Id))
            {
                await admin.Organization.RegisterUserAsync(new NewUser(seller.Id, seller.Name) { Team = TeamOf(seller.Team), TimeZone = seller.Zone }, cancellationToken).ConfigureAwait(false);
                users++;
            }
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = 0;
        var known = (await admin.Clients.ListAsync(cancellationToken).ConfigureAwait(false)).Select(c => c.Id).ToHashSet();
        foreach (var client in clients)
        {
            if (known.Contains(client.Id))
            {
                continue; // imported by an earlier run: resume
            }

            try
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
            }
            catch (DuplicateClientException e) when (!options.MergeDuplicates)
            {
                bad.Add($"clients.csv:{client.Id}: {e.Message}");
            }
        }

        var history = stays.GroupBy(s => s.Deal).ToDictionary(g => g.Key, g => g.OrderBy(s => s.EnteredAt).ToArray(), StringComparer.Ordinal);
        var imported = 0;
        foreach (var deal in deals)
        {
            var client = merged.TryGetValue(deal.Client.Value, out var into) ? new ClientId(into) : deal.Client;
            var rows = history.GetValueOrDefault(deal.Id.Value) ?? [];
            if (await admin.Import.DealAsync(new ImportedDeal(deal.Id, client, options.Pipeline, deal.Owner, deal.Amount,
                rows.Select(s => new ImportedStay(s.Stage, s.EnteredAt, s.LeftAt)).ToArray()) { Source = deal.Source }, cancellationToken).ConfigureAwait(false))
            {
                imported++;
            }
        }

        foreach (var target in targets)
        {
            await admin.Import.TargetAsync(target.Owner, target.Start, target.End, target.Target, cancellationToken).ConfigureAwait(false);
        }

        return new CsvImportResult(users, created, merged, imported, targets.Count, bad);
    }

    private static List<T> Read<T>(string folder, string file, List<string> bad, Func<CsvReader, T> map)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            throw new CrmValidationException(file, $"'{path}' does not exist.");
        }

        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true });
        csv.ReadHeader();
        var rows = new List<T>();
        while (csv.Read())
        {
            try
            {
                rows.Add(map(csv));
            }
            catch (Exception e) when (e is CrmValidationException or FormatException or UnparsableValueException or ArgumentException or KeyNotFoundException)
            {
                bad.Add($"{file}:{csv.LineNumber}: {(e is CrmValidationException v ? string.Join("; ", v.Errors.Select(x => x.Message)) : e.Message)}");
            }
        }

        return rows;
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string? Zone(string? id) => id is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is not null ? id : null;

    private static TeamId TeamOf(string name) => new(name.Trim().ToLowerInvariant().Replace(' ', '-'));
}
