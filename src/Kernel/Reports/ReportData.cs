using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>How a deal ended (or not yet).</summary>
public enum DealOutcome : byte
{
    /// <summary>Still open.</summary>
    Open = 0,
    /// <summary>Won.</summary>
    Won = 1,
    /// <summary>Lost.</summary>
    Lost = 2,
}

/// <summary>
/// A compact, columnar snapshot the report calculators read in single passes: deals and stage stays as parallel
/// arrays of small integers, longs (instants as ticks) and decimals, with string tables for names. Get one from
/// <c>session.Reports.GetSnapshotAsync</c> (visibility applied).
/// Immutable and thread-safe once built.
/// </summary>
public sealed class ReportData
{
    internal ReportData(ReportDataBuilder b)
    {
        Stages = b.Stages.ToArray();
        StageKinds = b.StageKinds.ToArray();
        StageNorms = b.StageNorms.ToArray();
        StageProbability = b.StageProbability.ToArray();
        DealProbability = b.DealProbability.ToArray();
        DealExpectedClose = b.DealExpectedClose.ToArray();
        Owners = b.Owners.Values;
        OwnerTeam = b.OwnerTeam.ToArray();
        Teams = b.Teams.Values;
        Clients = b.Clients.Values;
        ClientRegion = b.ClientRegion.ToArray();
        ClientCity = b.ClientCity.ToArray();
        ClientIndustry = b.ClientIndustry.ToArray();
        ClientRegistered = b.ClientRegistered.ToArray();
        Regions = b.Regions.Values;
        Cities = b.Cities.Values;
        Industries = b.Industries.Values;
        Currencies = b.Currencies.Values;
        Sources = b.Sources.Values;
        DealIds = b.DealIds.ToArray();
        DealOwner = b.DealOwner.ToArray();
        DealClient = b.DealClient.ToArray();
        DealCurrency = b.DealCurrency.ToArray();
        DealSource = b.DealSource.ToArray();
        DealAmount = b.DealAmount.ToArray();
        DealOpened = b.DealOpened.ToArray();
        DealClosed = b.DealClosed.ToArray();
        DealOutcome = b.DealOutcome.ToArray();
        DealStage = b.DealStage.ToArray();
        StayDeal = b.StayDeal.ToArray();
        StayStage = b.StayStage.ToArray();
        StayEntered = b.StayEntered.ToArray();
        StayLeft = b.StayLeft.ToArray();
        Targets = b.Targets.ToArray();
        ActivityOwner = b.ActivityOwner.ToArray();
        ActivityKinds = b.ActivityKinds.ToArray();
        ActivityAt = b.ActivityAt.ToArray();
        OwnerNames = ReportDataBuilder.Names(b.Owners, b.OwnerNames);
        TeamNames = ReportDataBuilder.Names(b.Teams, b.TeamNames);
        ClientNames = ReportDataBuilder.Names(b.Clients, b.ClientNames);
    }

    /// <summary>Stage names in path order (open stages, then won, then lost as defined).</summary>
    public IReadOnlyList<string> Stages { get; }
    /// <summary>Each stage's kind.</summary>
    public IReadOnlyList<StageKind> StageKinds { get; }
    /// <summary>Each stage's norm in ticks, or 0.</summary>
    public IReadOnlyList<long> StageNorms { get; }
    /// <summary>Each stage's default win probability, or -1.</summary>
    public IReadOnlyList<decimal> StageProbability { get; }
    /// <summary>Owner names (user ids).</summary>
    public IReadOnlyList<string> Owners { get; }
    /// <summary>Each owner's team index, or -1.</summary>
    public IReadOnlyList<int> OwnerTeam { get; }
    /// <summary>Team names.</summary>
    public IReadOnlyList<string> Teams { get; }
    /// <summary>Client ids.</summary>
    public IReadOnlyList<string> Clients { get; }
    /// <summary>Each client's region index, or -1.</summary>
    public IReadOnlyList<int> ClientRegion { get; }
    /// <summary>Each client's city index, or -1.</summary>
    public IReadOnlyList<int> ClientCity { get; }
    /// <summary>Each client's industry index, or -1.</summary>
    public IReadOnlyList<int> ClientIndustry { get; }
    /// <summary>Each client's registration ticks.</summary>
    public IReadOnlyList<long> ClientRegistered { get; }
    /// <summary>Region names.</summary>
    public IReadOnlyList<string> Regions { get; }
    /// <summary>City names.</summary>
    public IReadOnlyList<string> Cities { get; }
    /// <summary>Industry names.</summary>
    public IReadOnlyList<string> Industries { get; }
    /// <summary>Currency codes.</summary>
    public IReadOnlyList<string> Currencies { get; }
    /// <summary>Source names.</summary>
    public IReadOnlyList<string> Sources { get; }
    internal string[] DealIds { get; }
    internal int[] DealOwner { get; }
    internal int[] DealClient { get; }
    internal int[] DealCurrency { get; }
    internal int[] DealSource { get; }
    internal decimal[] DealAmount { get; }
    internal long[] DealOpened { get; }
    internal long[] DealClosed { get; }
    internal DealOutcome[] DealOutcome { get; }
    internal int[] DealStage { get; }
    internal decimal[] DealProbability { get; }
    internal LocalDate?[] DealExpectedClose { get; }
    internal int[] StayDeal { get; }
    internal byte[] StayStage { get; }
    internal long[] StayEntered { get; }
    internal long[] StayLeft { get; }
    internal ReportTarget[] Targets { get; }
    internal int[] ActivityOwner { get; }
    internal ActivityKind[] ActivityKinds { get; }
    internal long[] ActivityAt { get; }

    /// <summary>Each owner's display name (the user's name), in the order of <see cref="Owners"/>; the id when the snapshot has no name.</summary>
    public IReadOnlyList<string> OwnerNames { get; }

    /// <summary>Each team's display name, in the order of <see cref="Teams"/>; the id when the snapshot has no name.</summary>
    public IReadOnlyList<string> TeamNames { get; }

    /// <summary>Each client's display name (the card's name), in the order of <see cref="Clients"/>; the id when the snapshot has no name.</summary>
    public IReadOnlyList<string> ClientNames { get; }

    /// <summary>How many activities (calls, e-mails, meetings, notes).</summary>
    public int ActivityCount => ActivityOwner.Length;

    /// <summary>How many deals.</summary>
    public int DealCount => DealIds.Length;

    /// <summary>How many stage stays.</summary>
    public int StayCount => StayDeal.Length;
}

/// <summary>A plan target in a snapshot.</summary>
/// <param name="Owner">The owner index.</param>
/// <param name="Start">First day.</param>
/// <param name="End">Last day (inclusive).</param>
/// <param name="Currency">The currency index.</param>
/// <param name="Amount">The target.</param>
internal readonly record struct ReportTarget(int Owner, LocalDate Start, LocalDate End, int Currency, decimal Amount);

/// <summary>Fills a <see cref="ReportData"/>. Add stages first, then users, clients, deals with their stays, targets, activities.</summary>
internal sealed class ReportDataBuilder
{
    internal readonly List<string> Stages = new();
    internal readonly List<StageKind> StageKinds = new();
    internal readonly List<long> StageNorms = new();
    internal readonly List<decimal> StageProbability = new();
    internal readonly List<decimal> DealProbability = new();
    internal readonly List<LocalDate?> DealExpectedClose = new();
    internal readonly Table Owners = new();
    internal readonly List<int> OwnerTeam = new();
    internal readonly Table Teams = new();
    internal readonly Table Clients = new();
    internal readonly List<int> ClientRegion = new();
    internal readonly List<int> ClientCity = new();
    internal readonly List<int> ClientIndustry = new();
    internal readonly List<long> ClientRegistered = new();
    internal readonly Table Regions = new();
    internal readonly Table Cities = new();
    internal readonly Table Industries = new();
    internal readonly Table Currencies = new();
    internal readonly Table Sources = new();
    internal readonly List<string> DealIds = new();
    internal readonly List<int> DealOwner = new();
    internal readonly List<int> DealClient = new();
    internal readonly List<int> DealCurrency = new();
    internal readonly List<int> DealSource = new();
    internal readonly List<decimal> DealAmount = new();
    internal readonly List<long> DealOpened = new();
    internal readonly List<long> DealClosed = new();
    internal readonly List<DealOutcome> DealOutcome = new();
    internal readonly List<int> DealStage = new();
    internal readonly List<int> StayDeal = new();
    internal readonly List<byte> StayStage = new();
    internal readonly List<long> StayEntered = new();
    internal readonly List<long> StayLeft = new();
    internal readonly List<ReportTarget> Targets = new();
    internal readonly List<int> ActivityOwner = new();
    internal readonly List<ActivityKind> ActivityKinds = new();
    internal readonly List<long> ActivityAt = new();
    internal readonly Dictionary<int, string> OwnerNames = new();
    internal readonly Dictionary<int, string> TeamNames = new();
    internal readonly Dictionary<int, string> ClientNames = new();
    private readonly Dictionary<string, int> _stageIndex = new(StringComparer.Ordinal);

    /// <summary>Adds the stages of a pipeline (in path order); stages of the same id are added once.</summary>
    public ReportDataBuilder AddStages(PipelineDefinition pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        foreach (var stage in pipeline.Stages)
        {
            if (_stageIndex.TryAdd(stage.Id.Value, Stages.Count))
            {
                if (Stages.Count == byte.MaxValue)
                {
                    throw new InvalidOperationException("A report snapshot holds at most 255 stages.");
                }

                Stages.Add(stage.Id.Value);
                StageKinds.Add(stage.Kind);
                StageNorms.Add(stage.Norm?.BclCompatibleTicks ?? 0);
                StageProbability.Add(stage.WinProbability ?? -1m);
            }
        }

        return this;
    }

    /// <summary>Adds (or updates) a user, their team and their display name (null: reports show the id).</summary>
    public ReportDataBuilder AddUser(UserId user, TeamId? team, string? name = null)
    {
        var index = Owners.Index(user.Value);
        if (name is not null)
        {
            OwnerNames[index] = name;
        }

        while (OwnerTeam.Count <= index)
        {
            OwnerTeam.Add(-1);
        }

        OwnerTeam[index] = team is { } t ? Teams.Index(t.Value) : -1;
        return this;
    }

    /// <summary>Adds (or updates) a team's display name; reports show the id of a team without one.</summary>
    public ReportDataBuilder AddTeam(TeamId team, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        TeamNames[Teams.Index(team.Value)] = name;
        return this;
    }

    /// <summary>Adds (or updates) a client, with its display name (null: reports show the id).</summary>
    public ReportDataBuilder AddClient(ClientId client, string? region, string? city, string? industry, Instant registeredAt, string? name = null)
    {
        var index = Clients.Index(client.Value);
        if (name is not null)
        {
            ClientNames[index] = name;
        }

        while (ClientRegion.Count <= index)
        {
            ClientRegion.Add(-1);
            ClientCity.Add(-1);
            ClientIndustry.Add(-1);
            ClientRegistered.Add(0);
        }

        ClientRegion[index] = region is null ? -1 : Regions.Index(region);
        ClientCity[index] = city is null ? -1 : Cities.Index(city);
        ClientIndustry[index] = industry is null ? -1 : Industries.Index(industry);
        ClientRegistered[index] = registeredAt.ToUnixTimeTicks();
        return this;
    }

    /// <summary>Adds a deal with its stays (oldest first; the last has no left instant while the deal is there).</summary>
    /// <exception cref="ArgumentException">A stay names a stage not added with <see cref="AddStages"/>.</exception>
    /// <param name="deal">The deal.</param>
    /// <param name="client">Its client.</param>
    /// <param name="owner">Its owner.</param>
    /// <param name="amount">Its amount.</param>
    /// <param name="source">Where it came from.</param>
    /// <param name="outcome">Open, won or lost.</param>
    /// <param name="openedAt">When it opened.</param>
    /// <param name="closedAt">When it closed.</param>
    /// <param name="stays">Its stage stays, oldest first.</param>
    /// <param name="winProbability">Its own win probability (null: its stage's).</param>
    /// <param name="expectedClose">When it is expected to close.</param>
    public ReportDataBuilder AddDeal(DealId deal, ClientId client, UserId owner, Money amount, string? source, DealOutcome outcome,
        Instant openedAt, Instant? closedAt, IEnumerable<(StageId Stage, Instant EnteredAt, Instant? LeftAt)> stays,
        decimal? winProbability = null, LocalDate? expectedClose = null)
    {
        ArgumentNullException.ThrowIfNull(stays);
        var index = DealIds.Count;
        DealIds.Add(deal.Value);
        var ownerIndex = Owners.Index(owner.Value);
        while (OwnerTeam.Count <= ownerIndex)
        {
            OwnerTeam.Add(-1);
        }

        DealOwner.Add(ownerIndex);
        DealClient.Add(Clients.Index(client.Value));
        while (ClientRegion.Count < Clients.Values.Count)
        {
            ClientRegion.Add(-1);
            ClientCity.Add(-1);
            ClientIndustry.Add(-1);
            ClientRegistered.Add(0);
        }

        DealCurrency.Add(Currencies.Index(amount.Currency));
        DealSource.Add(source is null ? -1 : Sources.Index(source));
        DealAmount.Add(amount.Amount);
        DealOpened.Add(openedAt.ToUnixTimeTicks());
        DealClosed.Add(closedAt?.ToUnixTimeTicks() ?? -1);
        DealOutcome.Add(outcome);
        var last = -1;
        foreach (var (stage, entered, left) in stays)
        {
            last = _stageIndex.TryGetValue(stage.Value, out var s) ? s : throw new ArgumentException($"Stage '{stage}' of deal '{deal}' was not added with AddStages.", nameof(stays));
            StayDeal.Add(index);
            StayStage.Add((byte)last);
            StayEntered.Add(entered.ToUnixTimeTicks());
            StayLeft.Add(left?.ToUnixTimeTicks() ?? -1);
        }

        DealStage.Add(last);
        DealProbability.Add(winProbability ?? -1m);
        DealExpectedClose.Add(expectedClose);
        return this;
    }

    /// <summary>Adds a deal with its stage history as the kernel stores it (no per-stay tuple or enumerator).</summary>
    internal ReportDataBuilder AddDealWithHistory(DealId deal, ClientId client, UserId owner, Money amount, string? source, DealOutcome outcome,
        Instant openedAt, Instant? closedAt, IReadOnlyList<StoredStay> history, decimal? winProbability, LocalDate? expectedClose)
    {
        var index = DealIds.Count;
        var before = StayDeal.Count;
        AddDeal(deal, client, owner, amount, source, outcome, openedAt, closedAt, Array.Empty<(StageId, Instant, Instant?)>(), winProbability, expectedClose);
        var last = -1;
        for (var h = 0; h < history.Count; h++)
        {
            var visit = history[h];
            last = _stageIndex.TryGetValue(visit.Stage.Value, out var s) ? s : throw new ArgumentException($"Stage '{visit.Stage}' of deal '{deal}' was not added with AddStages.", nameof(history));
            StayDeal.Add(index);
            StayStage.Add((byte)last);
            StayEntered.Add(visit.EnteredAt.ToUnixTimeTicks());
            StayLeft.Add(visit.LeftAt?.ToUnixTimeTicks() ?? -1);
        }

        if (StayDeal.Count == before)
        {
            return this;
        }

        DealStage[index] = last;
        return this;
    }

    /// <summary>
    /// Puts the deals (with their stays) in ordinal order of their ids, the order the calculators' results list them
    /// in; a no-op when they were added in that order already (the stores return them so).
    /// </summary>
    internal void SortDealsById()
    {
        var n = DealIds.Count;
        var sorted = true;
        for (var i = 1; i < n && sorted; i++)
        {
            sorted = string.CompareOrdinal(DealIds[i - 1], DealIds[i]) <= 0;
        }

        if (sorted)
        {
            return;
        }

        var ids = DealIds.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) => string.CompareOrdinal(ids[x], ids[y]) is var c && c != 0 ? c : x.CompareTo(y));
        var firstStay = new int[n + 1];
        for (var s = 0; s < StayDeal.Count; s++)
        {
            firstStay[StayDeal[s] + 1]++;
        }

        for (var d = 0; d < n; d++)
        {
            firstStay[d + 1] += firstStay[d];
        }

        var stages = StayStage.ToArray();
        var entered = StayEntered.ToArray();
        var left = StayLeft.ToArray();
        var t = 0;
        for (var d = 0; d < n; d++)
        {
            var old = order[d];
            for (var s = firstStay[old]; s < firstStay[old + 1]; s++, t++)
            {
                StayDeal[t] = d;
                StayStage[t] = stages[s];
                StayEntered[t] = entered[s];
                StayLeft[t] = left[s];
            }
        }

        Permute(DealIds, order);
        Permute(DealOwner, order);
        Permute(DealClient, order);
        Permute(DealCurrency, order);
        Permute(DealSource, order);
        Permute(DealAmount, order);
        Permute(DealOpened, order);
        Permute(DealClosed, order);
        Permute(DealOutcome, order);
        Permute(DealStage, order);
        Permute(DealProbability, order);
        Permute(DealExpectedClose, order);
    }

    private static void Permute<T>(List<T> list, int[] order)
    {
        var copy = list.ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            list[i] = copy[order[i]];
        }
    }

    /// <summary>Adds a plan target.</summary>
    public ReportDataBuilder AddTarget(UserId owner, LocalDate start, LocalDate end, Money target)
    {
        var ownerIndex = Owners.Index(owner.Value);
        while (OwnerTeam.Count <= ownerIndex)
        {
            OwnerTeam.Add(-1);
        }

        Targets.Add(new ReportTarget(ownerIndex, start, end, Currencies.Index(target.Currency), target.Amount));
        return this;
    }

    /// <summary>Adds an activity (a call, e-mail, meeting or note) done by <paramref name="by"/> at <paramref name="at"/>.</summary>
    public ReportDataBuilder AddActivity(UserId by, ActivityKind kind, Instant at)
    {
        var ownerIndex = Owners.Index(by.Value);
        while (OwnerTeam.Count <= ownerIndex)
        {
            OwnerTeam.Add(-1);
        }

        ActivityOwner.Add(ownerIndex);
        ActivityKinds.Add(kind);
        ActivityAt.Add(at.ToUnixTimeTicks());
        return this;
    }

    /// <summary>The display name of each entry of <paramref name="table"/>: its name when known, else its id.</summary>
    internal static string[] Names(Table table, Dictionary<int, string> names)
    {
        var result = new string[table.Values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = names.TryGetValue(i, out var name) ? name : table.Values[i];
        }

        return result;
    }

    /// <summary>Builds the snapshot.</summary>
    public ReportData Build() => new(this);

    internal sealed class Table
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

        public List<string> Values { get; } = new();

        public int Index(string value)
        {
            if (!_index.TryGetValue(value, out var index))
            {
                index = Values.Count;
                _index[value] = index;
                Values.Add(value);
            }

            return index;
        }

        public int Find(string value) => _index.TryGetValue(value, out var index) ? index : -1;
    }
}

/// <summary>A stay of a stored deal as the snapshot reads it from the deal's JSON (the visit's actor and cause are skipped).</summary>
/// <param name="Stage">The stage.</param>
/// <param name="EnteredAt">When the deal entered it.</param>
/// <param name="LeftAt">When it left; null while it is there.</param>
internal sealed record StoredStay(StageId Stage, Instant EnteredAt, Instant? LeftAt);
