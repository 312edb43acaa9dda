using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Security;
using CsvHelper;
using NodaTime;

namespace Crm.Kernel.Import;

/// <summary>
/// The rows of an import, read and checked against each other and against the tenant before anything is written:
/// what <see cref="SalesCsvImport"/> writes, and every problem found (with file, line and column).
/// </summary>
internal sealed class CsvImportPlan
{
    public const string SellersFile = "sellers.csv";
    public const string ClientsFile = "clients.csv";
    public const string HistoryFile = "stage_history.csv";
    public const string DealsFile = "deals.csv";
    public const string TargetsFile = "targets.csv";

    private static readonly string[] FileOrder = [SellersFile, ClientsFile, HistoryFile, DealsFile, TargetsFile];

    /// <summary>Problems that stop the import whatever the options: a missing file or column, a file that is not CSV.</summary>
    public List<CsvImportProblem> Fatal { get; } = [];

    /// <summary>Bad rows, sorted by file and line.</summary>
    public List<CsvImportProblem> Problems { get; } = [];

    public List<SellerRow> Sellers { get; } = [];

    public List<ClientRow> Clients { get; } = [];

    public List<DealRow> Deals { get; } = [];

    public List<TargetRow> Targets { get; } = [];

    public HashSet<UserId> ExistingUsers { get; } = [];

    public HashSet<ClientId> ExistingClients { get; } = [];

    public PipelineId Pipeline { get; private init; }

    public static async Task<CsvImportPlan> CheckAsync(CrmSession admin, string folder, CsvImportOptions options, PipelineDefinition pipeline, DateTimeZone zone, CancellationToken cancellationToken)
    {
        var plan = new CsvImportPlan { Pipeline = pipeline.Id };
        foreach (var file in new[] { SellersFile, ClientsFile, DealsFile, HistoryFile })
        {
            if (!File.Exists(Path.Combine(folder, file)))
            {
                plan.Fatal.Add(new CsvImportProblem(file, 0, null, $"the file is missing from '{folder}' (sellers.csv, clients.csv, deals.csv and stage_history.csv are required; targets.csv is optional)."));
            }
        }

        if (plan.Fatal.Count > 0)
        {
            return plan;
        }

        var contacts = admin.Parts.Contacts;
        var badSellers = new Dictionary<UserId, int>();
        var sellers = Read(plan, folder, SellersFile, ["seller_id", "name", "role", "team"], ["time_zone"], s =>
        {
            var id = s.Id("seller_id");
            var name = s.Text("name", 200, required: true, "the user's name");
            var role = s.Choice("role", ["seller", "head"], "seller");
            var team = s.Team("team");
            var timeZone = s.Text("time_zone", 64, required: false, "an IANA time zone id such as Europe/Oslo");
            if (timeZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is null)
            {
                s.Fail("time_zone", $"{CsvCells.Show(timeZone)} is not an IANA time zone id such as Europe/Oslo (leave it empty for the tenant's zone).");
            }

            if (s.Bad || id is null)
            {
                Remember(badSellers, id, s.Line, v => new UserId(v));
                return null;
            }

            return new SellerRow(s.Line, new UserId(id), name!, role == "head", team!.Value.Id, team.Value.Name, timeZone);
        });
        var badClients = new Dictionary<ClientId, int>();
        var clients = Read(plan, folder, ClientsFile, ["client_id", "name", "registered_at"], ["kind", "region", "city", "industry", "phone", "email"], s =>
        {
            var id = s.Id("client_id");
            var name = s.Text("name", 300, required: true, "the client's name");
            var kind = s.Choice("kind", ["company", "person"], "company");
            var region = s.Text("region", 200, required: false, "a region");
            var city = s.Text("city", 200, required: false, "a city");
            var industry = s.Text("industry", 200, required: false, "an industry");
            string? phone = null, email = null;
            if (s.Text("phone", 64, required: false, "a phone number") is { } rawPhone)
            {
                if (contacts.TryNormalizePhone(rawPhone, out var e164))
                {
                    phone = e164;
                }
                else
                {
                    s.Fail("phone", $"{CsvCells.Show(rawPhone)} is not a valid phone number (international like +4740007919, or national in the tenant's default region).");
                }
            }

            if (s.Text("email", 254, required: false, "an e-mail address") is { } rawEmail)
            {
                try
                {
                    email = contacts.NormalizeEmail(rawEmail);
                }
                catch (CrmValidationException)
                {
                    s.Fail("email", $"{CsvCells.Show(rawEmail)} is not an e-mail address like name@example.com.");
                }
            }

            var registered = s.Instant("registered_at", zone, required: true);
            if (s.Bad || id is null)
            {
                Remember(badClients, id, s.Line, v => new ClientId(v));
                return null;
            }

            return new ClientRow(s.Line, new ClientId(id), name!, kind == "person" ? ClientKind.Person : ClientKind.Company, region, city, industry, phone, email, registered!.Value);
        });
        var badStays = new Dictionary<DealId, List<int>>();
        var stays = Read(plan, folder, HistoryFile, ["deal_id", "stage", "entered_at", "left_at"], [], s =>
        {
            var deal = s.Id("deal_id");
            var stage = s.Stage("stage", pipeline);
            var entered = s.Instant("entered_at", zone, required: true);
            var left = s.Instant("left_at", zone, required: false);
            if (entered is { } e && left is { } l && l < e)
            {
                s.Fail("left_at", $"the stay ends ({l}) before it begins ({e}).");
            }

            if (s.Bad || deal is null)
            {
                if (deal is not null)
                {
                    var key = new DealId(deal);
                    if (!badStays.TryGetValue(key, out var lines))
                    {
                        badStays[key] = lines = [];
                    }

                    lines.Add(s.Line);
                }

                return null;
            }

            return new StayRow(s.Line, new DealId(deal), stage!, entered!.Value, left);
        });
        var badDeals = new Dictionary<DealId, int>();
        var deals = Read(plan, folder, DealsFile, ["deal_id", "client_id", "owner_id", "amount", "currency"], ["source"], s =>
        {
            var id = s.Id("deal_id");
            var client = s.Id("client_id");
            var owner = s.Id("owner_id");
            var source = s.Text("source", 200, required: false, "where the deal came from");
            var amount = s.Amount("amount");
            var currency = s.Currency("currency");
            if (s.Bad || id is null)
            {
                Remember(badDeals, id, s.Line, v => new DealId(v));
                return null;
            }

            return new DealRow(s.Line, new DealId(id), new ClientId(client!), new UserId(owner!), source, Money.Of(amount!.Value, currency!), []);
        });
        var targets = File.Exists(Path.Combine(folder, TargetsFile))
            ? Read(plan, folder, TargetsFile, ["seller_id", "period_start", "period_end", "currency", "revenue_target"], [], s =>
            {
                var owner = s.Id("seller_id");
                var start = s.Date("period_start");
                var end = s.Date("period_end");
                var amount = s.Amount("revenue_target");
                var currency = s.Currency("currency");
                if (start is { } a && end is { } b && b < a)
                {
                    s.Fail("period_end", $"the period ends ({b:yyyy-MM-dd}) before it starts ({a:yyyy-MM-dd}).");
                }

                return s.Bad ? null : new TargetRow(s.Line, new UserId(owner!), start!.Value, end!.Value, Money.Of(amount!.Value, currency!));
            })
            : [];
        if (plan.Fatal.Count > 0)
        {
            return plan;
        }

        foreach (var user in await admin.Organization.ListUsersAsync(cancellationToken).ConfigureAwait(false))
        {
            plan.ExistingUsers.Add(user.Id);
            if (user.Role != CrmRole.Head || !user.IsActive)
            {
                plan._notActiveHeads.Add(user.Id);
            }
        }

        foreach (var client in await admin.Clients.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            plan.ExistingClients.Add(client.Id);
        }

        var validSellers = plan.CheckSellers(sellers, badSellers);
        var validClients = await plan.CheckClientsAsync(admin, clients, badClients, options.MergeDuplicates, cancellationToken).ConfigureAwait(false);
        plan.CheckDeals(deals, stays, badDeals, badStays, validSellers, badSellers, validClients, badClients);
        foreach (var target in targets)
        {
            if (validSellers.Contains(target.Owner))
            {
                plan.Targets.Add(target);
            }
            else
            {
                plan.Problems.Add(new CsvImportProblem(TargetsFile, target.Line, "seller_id", NotASeller(target.Owner, badSellers, "the target's seller")));
            }
        }

        plan.Problems.Sort((a, b) =>
        {
            var byFile = Array.IndexOf(FileOrder, a.File).CompareTo(Array.IndexOf(FileOrder, b.File));
            return byFile != 0 ? byFile : a.Line.CompareTo(b.Line);
        });
        return plan;
    }

    private readonly HashSet<UserId> _notActiveHeads = [];

    private HashSet<UserId> CheckSellers(List<SellerRow> rows, Dictionary<UserId, int> bad)
    {
        var seen = new Dictionary<UserId, int>();
        var heads = new Dictionary<TeamId, SellerRow>();
        var candidates = new List<SellerRow>();
        foreach (var row in rows)
        {
            if (seen.TryGetValue(row.Id, out var first) || bad.TryGetValue(row.Id, out first))
            {
                Reject(SellersFile, row.Line, "seller_id", $"seller '{row.Id}' is on line {first} already; each seller is one row (ids with spaces are read with '_' for each space).");
                bad.TryAdd(row.Id, row.Line);
                continue;
            }

            seen[row.Id] = row.Line;
            if (row.IsHead)
            {
                if (heads.TryGetValue(row.Team, out var other))
                {
                    Reject(SellersFile, row.Line, "team", $"team '{row.TeamName}' has a head already ('{other.Id}', line {other.Line}); a team has one head.");
                    bad[row.Id] = row.Line;
                    continue;
                }

                if (ExistingUsers.Contains(row.Id) && _notActiveHeads.Contains(row.Id))
                {
                    Reject(SellersFile, row.Line, "role", $"user '{row.Id}' exists already in the tenant and is not an active head, so cannot head team '{row.TeamName}'.");
                    bad[row.Id] = row.Line;
                    continue;
                }

                heads[row.Team] = row;
            }

            candidates.Add(row);
        }

        var headLines = rows.Where(r => r.IsHead && bad.ContainsKey(r.Id)).GroupBy(r => r.Team).ToDictionary(g => g.Key, g => g.First().Line);
        var valid = new HashSet<UserId>();
        foreach (var row in candidates)
        {
            if (!row.IsHead && !heads.ContainsKey(row.Team))
            {
                Reject(SellersFile, row.Line, "team", headLines.TryGetValue(row.Team, out var line)
                    ? $"team '{row.TeamName}' has no head: its head's row (line {line}) is bad."
                    : $"team '{row.TeamName}' has no head; add a row with role 'head' and this team.");
                bad[row.Id] = row.Line;
                continue;
            }

            valid.Add(row.Id);
            Sellers.Add(row);
        }

        return valid;
    }

    private async Task<HashSet<ClientId>> CheckClientsAsync(CrmSession admin, List<ClientRow> rows, Dictionary<ClientId, int> bad, bool merge, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<ClientId, int>();
        var owners = new Dictionary<(string Scope, string Key), (ClientId Client, int Line)>();
        var valid = new HashSet<ClientId>();
        foreach (var row in rows)
        {
            if (seen.TryGetValue(row.Id, out var first) || bad.TryGetValue(row.Id, out first))
            {
                Reject(ClientsFile, row.Line, "client_id", $"client '{row.Id}' is on line {first} already; each client is one row (ids with spaces are read with '_' for each space).");
                bad.TryAdd(row.Id, row.Line);
                continue;
            }

            seen[row.Id] = row.Line;
            if (ExistingClients.Contains(row.Id))
            {
                valid.Add(row.Id);   // imported by an earlier run: skipped when writing
                Clients.Add(row);
                continue;
            }

            // As SessionClients.RegisterAsync will: the first of its keys (phone, then e-mail) that a card holds decides.
            var keys = new List<(string Scope, string Key, string Column)>(2);
            if (row.Phone is { } phone)
            {
                keys.Add((SessionClients.PhoneScope, phone, "phone"));
            }

            if (row.Email is { } email)
            {
                keys.Add((SessionClients.EmailScope, email, "email"));
            }

            (ClientId Client, int Line, string Column, string Key)? match = null;
            foreach (var (scope, key, column) in keys)
            {
                if (owners.TryGetValue((scope, key), out var holder))
                {
                    match = (holder.Client, holder.Line, column, key);
                    break;
                }

                if (await admin.Context.Store.FindUniqueKeyOwnerAsync(admin.Tenant, scope, key, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    match = (new ClientId(stored), 0, column, key);
                    break;
                }
            }

            if (match is { } m && !merge)
            {
                Reject(ClientsFile, row.Line, m.Column, $"'{m.Key}' belongs to client '{m.Client}' already ({(m.Line > 0 ? $"line {m.Line}" : "in the tenant")}); merge duplicates or remove the row.");
                bad[row.Id] = row.Line;
                continue;
            }

            var owner = match is { } into ? (into.Client, into.Line) : (row.Id, row.Line);
            foreach (var (scope, key, _) in keys)
            {
                owners.TryAdd((scope, key), owner);
            }

            valid.Add(row.Id);
            Clients.Add(row);
        }

        return valid;
    }

    private void CheckDeals(List<DealRow> rows, List<StayRow> stays, Dictionary<DealId, int> bad, Dictionary<DealId, List<int>> badStays,
        HashSet<UserId> sellers, Dictionary<UserId, int> badSellers, HashSet<ClientId> clients, Dictionary<ClientId, int> badClients)
    {
        var history = new Dictionary<DealId, List<StayRow>>();
        foreach (var stay in stays)
        {
            if (!history.TryGetValue(stay.Deal, out var list))
            {
                history[stay.Deal] = list = [];
            }

            list.Add(stay);
        }

        var seen = new Dictionary<DealId, int>();
        foreach (var row in rows)
        {
            if (seen.TryGetValue(row.Id, out var first) || bad.TryGetValue(row.Id, out first))
            {
                Reject(DealsFile, row.Line, "deal_id", $"deal '{row.Id}' is on line {first} already; each deal is one row (ids with spaces are read with '_' for each space).");
                continue;
            }

            seen[row.Id] = row.Line;
            if (!sellers.Contains(row.Owner))
            {
                Reject(DealsFile, row.Line, "owner_id", NotASeller(row.Owner, badSellers, "the deal's owner"));
                continue;
            }

            if (!clients.Contains(row.Client) && (badClients.ContainsKey(row.Client) || !ExistingClients.Contains(row.Client)))
            {
                Reject(DealsFile, row.Line, "client_id", badClients.TryGetValue(row.Client, out var clientLine)
                    ? $"client '{row.Client}' is a bad row (clients.csv:{clientLine})."
                    : $"client '{row.Client}' is neither in clients.csv nor in the tenant.");
                continue;
            }

            if (badStays.TryGetValue(row.Id, out var badLines))
            {
                Reject(DealsFile, row.Line, null, $"its stage history has bad rows (stage_history.csv line {string.Join(", ", badLines)}).");
                continue;
            }

            if (!history.TryGetValue(row.Id, out var list) || list.Count == 0)
            {
                Reject(DealsFile, row.Line, null, $"deal '{row.Id}' has no rows in stage_history.csv; a deal needs at least one stage stay.");
                continue;
            }

            list.Sort((a, b) => a.EnteredAt != b.EnteredAt ? a.EnteredAt.CompareTo(b.EnteredAt) : a.Line.CompareTo(b.Line));
            if (CheckHistory(row, list))
            {
                Deals.Add(row with { History = list.Select(s => new ImportedStay(s.Stage.Id, s.EnteredAt, s.LeftAt)).ToArray() });
            }
        }

        foreach (var (deal, list) in history)
        {
            if (!seen.ContainsKey(deal) && !bad.ContainsKey(deal))
            {
                foreach (var stay in list)
                {
                    Reject(HistoryFile, stay.Line, "deal_id", $"deal '{deal}' is not in deals.csv.");
                }
            }
        }
    }

    private bool CheckHistory(DealRow deal, List<StayRow> stays)
    {
        var start = stays[0];
        if (start.Stage.Kind != StageKind.Open)
        {
            // Through the API a deal opens in an open stage and then moves; a history that begins closed has no such path.
            Reject(HistoryFile, start.Line, "stage", $"deal '{deal.Id}' begins in {start.Stage.Kind.ToString().ToLowerInvariant()} stage '{start.Stage.Id}'; a deal opens in an open stage and then moves to won or lost, so add the open stay before it (docs/import.md).");
            return false;
        }

        for (var i = 0; i + 1 < stays.Count; i++)
        {
            var (stay, next) = (stays[i], stays[i + 1]);
            if (stay.LeftAt is null)
            {
                Reject(HistoryFile, stay.Line, "left_at", $"is empty, but this stay of deal '{deal.Id}' is not its last (the next begins at {next.EnteredAt}, line {next.Line}); only the last stay has no end.");
                return false;
            }

            if (stay.LeftAt != next.EnteredAt)
            {
                Reject(HistoryFile, stay.Line, "left_at", $"'{stay.LeftAt}' is not when the next stay of deal '{deal.Id}' begins ({next.EnteredAt}, line {next.Line}); stays must follow each other without gaps or overlaps.");
                return false;
            }

            if (stay.Stage.Id == next.Stage.Id)
            {
                Reject(HistoryFile, next.Line, "stage", $"deal '{deal.Id}' is in stage '{next.Stage.Id}' already (line {stay.Line}); join the two stays into one.");
                return false;
            }
        }

        return true;
    }

    private static string NotASeller(UserId user, Dictionary<UserId, int> badSellers, string what) =>
        badSellers.TryGetValue(user, out var line)
            ? $"{what} '{user}' is a bad row (sellers.csv:{line})."
            : $"{what} '{user}' is not in sellers.csv; every deal owner and target seller must be a row there.";

    private void Reject(string file, int line, string? column, string message) => Problems.Add(new CsvImportProblem(file, line, column, message));

    private static void Remember<TId>(Dictionary<TId, int> bad, string? id, int line, Func<string, TId> create)
        where TId : notnull
    {
        if (id is not null)
        {
            bad.TryAdd(create(id), line);
        }
    }

    private static List<T> Read<T>(CsvImportPlan plan, string folder, string file, string[] required, string[] optional, Func<CsvSheet, T?> map)
        where T : class
    {
        var rows = new List<T>();
        try
        {
            using var csv = CsvReader.FromFile(Path.Combine(folder, file), new CsvReaderOptions { TrackLineNumbers = true, MaxRecordSize = CsvCells.MaxRecordBytes });
            csv.ReadHeader();
            var columns = new Dictionary<string, int>(StringComparer.Ordinal);
            var missing = new List<string>();
            foreach (var column in required.Concat(optional))
            {
                if (csv.TryGetFieldIndex(column, out var index))
                {
                    columns[column] = index;
                }
                else if (required.Contains(column))
                {
                    missing.Add(column);
                }
            }

            foreach (var column in missing)
            {
                plan.Fatal.Add(new CsvImportProblem(file, 1, column, $"the column is missing; the file needs the columns {string.Join(", ", required)} (the header read is {CsvCells.Show(string.Join(",", csv.Headers), 200)})."));
            }

            if (missing.Count > 0)
            {
                return rows;
            }

            var sheet = new CsvSheet(file, csv, columns, plan.Problems);
            while (csv.Read())
            {
                sheet.Begin(checked((int)csv.LineNumber));
                if (map(sheet) is { } row && !sheet.Bad)
                {
                    rows.Add(row);
                }
            }
        }
        catch (CsvFormatException e)
        {
            plan.Fatal.Add(new CsvImportProblem(file, (int)Math.Clamp(e.LineNumber, 0, int.MaxValue), null, $"cannot be read as CSV: {CsvCells.Show(e.Message, 300)}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            plan.Fatal.Add(new CsvImportProblem(file, 0, null, $"cannot be read: {e.Message}"));
        }

        return rows;
    }
}

internal sealed record SellerRow(int Line, UserId Id, string Name, bool IsHead, TeamId Team, string TeamName, string? Zone);

internal sealed record ClientRow(int Line, ClientId Id, string Name, ClientKind Kind, string? Region, string? City, string? Industry, string? Phone, string? Email, Instant RegisteredAt);

internal sealed record StayRow(int Line, DealId Deal, StageDefinition Stage, Instant EnteredAt, Instant? LeftAt);

internal sealed record DealRow(int Line, DealId Id, ClientId Client, UserId Owner, string? Source, Money Amount, IReadOnlyList<ImportedStay> History);

internal sealed record TargetRow(int Line, UserId Owner, LocalDate Start, LocalDate End, Money Amount);
