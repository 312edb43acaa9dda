using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Reports;

/// <summary>What a KPI counts.</summary>
public enum KpiMeasure
{
    /// <summary>Calls logged by the employee (activities of kind call) in the period.</summary>
    Calls = 0,
    /// <summary>Meetings logged by the employee in the period.</summary>
    Meetings = 1,
    /// <summary>Won revenue in <see cref="KpiDefinition.Currency"/> of deals the employee owns, closed in the period.</summary>
    WonRevenue = 2,
    /// <summary>Won deals the employee owns, closed in the period.</summary>
    WonDeals = 3,
    /// <summary>Won ÷ (won + lost) of the employee's deals closed in the period, as a fraction in [0, 1].</summary>
    Conversion = 4,
}

/// <summary>One KPI of the monitor.</summary>
/// <param name="Id">A stable id plans refer to, e.g. <c>calls</c>.</param>
/// <param name="Measure">What it counts.</param>
/// <param name="Weight">Its weight in the employee's score (positive; weights need not add up to 1).</param>
/// <param name="Currency">The currency of <see cref="KpiMeasure.WonRevenue"/> (required there, ignored otherwise).</param>
public sealed record KpiDefinition(string Id, KpiMeasure Measure, decimal Weight, string? Currency = null);

/// <summary>An employee's plan for one KPI over a period of calendar dates.</summary>
/// <param name="Employee">The employee.</param>
/// <param name="Kpi">The <see cref="KpiDefinition.Id"/>.</param>
/// <param name="Period">The dates (in the filter's zone) the plan covers.</param>
/// <param name="Target">The planned value (for conversion, a fraction such as 0.25).</param>
public sealed record KpiPlan(UserId Employee, string Kpi, DateInterval Period, decimal Target);

/// <summary>One KPI of one employee: actual against plan.</summary>
/// <param name="Kpi">The KPI id.</param>
/// <param name="Actual">The measured value.</param>
/// <param name="Target">The plan.</param>
/// <param name="Completion">Actual ÷ target, or null when the target is 0.</param>
/// <param name="Weight">The KPI's weight.</param>
public sealed record KpiValue(string Kpi, decimal Actual, decimal Target, decimal? Completion, decimal Weight);

/// <summary>One employee's KPIs and their weighted score.</summary>
/// <param name="Employee">The employee (user id).</param>
/// <param name="Period">The plan period.</param>
/// <param name="Values">One value per planned KPI, in the order of the definitions.</param>
/// <param name="Score">Σ(weight × completion) ÷ Σ weight over the KPIs with a non-zero target; 1 means "on plan".</param>
public sealed record KpiRow(string Employee, DateInterval Period, IReadOnlyList<KpiValue> Values, decimal Score)
{
    /// <summary>The employee's display name (the user's name; their id when the snapshot has none).</summary>
    public string? EmployeeName { get; init; }
}

/// <summary>
/// The KPI monitor: several weighted KPIs per employee (calls, meetings, won revenue, won deals, conversion) against
/// their plans. Pure over a session's <see cref="ReportData"/>, so visibility comes with the snapshot: a seller's
/// snapshot holds only the seller, so the seller sees their own row; a head's holds the team.
/// </summary>
/// <example><code>
/// var kpis = new[] { new KpiDefinition("calls", KpiMeasure.Calls, 1m), new KpiDefinition("revenue", KpiMeasure.WonRevenue, 3m, "NOK") };
/// var q1 = new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31));
/// var rows = KpiMonitor.Run(data, kpis, [new KpiPlan(seller, "calls", q1, 120m), new KpiPlan(seller, "revenue", q1, 500_000m)]);
/// </code></example>
public static class KpiMonitor
{
    /// <summary>Computes a row per (employee, period) that has plans, for employees in the snapshot and the filter.</summary>
    /// <exception cref="CrmValidationException">A definition or plan is invalid (duplicate or unknown KPI id, weight not positive, revenue KPI without currency, negative target).</exception>
    /// <exception cref="ReportOverflowException">A sum or ratio of the snapshot's amounts exceeds the decimal range (amounts stored before the API bounded them); other reports are not affected.</exception>
    public static IReadOnlyList<KpiRow> Run(ReportData data, IReadOnlyList<KpiDefinition> kpis, IReadOnlyList<KpiPlan> plans, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReportOverflowException.Guard("KpiMonitor.Run", data, () => RunCore(data, kpis, plans, filter));
    }

    private static IReadOnlyList<KpiRow> RunCore(ReportData data, IReadOnlyList<KpiDefinition> kpis, IReadOnlyList<KpiPlan> plans, ReportFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(kpis);
        ArgumentNullException.ThrowIfNull(plans);
        Validate(kpis, plans);
        var zone = filter?.Zone ?? DateTimeZone.Utc;
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < data.Owners.Count; i++)
        {
            owners[data.Owners[i]] = i;
        }

        var groups = new SortedDictionary<(string Employee, LocalDate Start, LocalDate End), Dictionary<string, decimal>>();
        foreach (var plan in plans)
        {
            if (!owners.TryGetValue(plan.Employee.Value, out var owner) || (filter is not null && !filter.IncludesOwner(data, owner)))
            {
                continue; // not visible to this session, or filtered out
            }

            var key = (plan.Employee.Value, plan.Period.Start, plan.Period.End);
            if (!groups.TryGetValue(key, out var targets))
            {
                groups[key] = targets = new Dictionary<string, decimal>(StringComparer.Ordinal);
            }

            targets[plan.Kpi] = targets.GetValueOrDefault(plan.Kpi) + plan.Target;
        }

        // One pass indexes each planned employee's activities and closed deals, so a group reads only its own rows.
        var planned = new HashSet<int>();
        foreach (var (employee, _, _) in groups.Keys)
        {
            planned.Add(owners[employee]);
        }

        var activitiesOf = new Dictionary<int, List<int>>();
        for (var a = 0; a < data.ActivityCount; a++)
        {
            if (planned.Contains(data.ActivityOwner[a]))
            {
                RowsOf(activitiesOf, data.ActivityOwner[a]).Add(a);
            }
        }

        var dealsOf = new Dictionary<int, List<int>>();
        for (var d = 0; d < data.DealCount; d++)
        {
            if (planned.Contains(data.DealOwner[d]) && data.DealClosed[d] >= 0 && data.DealOutcome[d] != DealOutcome.Open
                && (filter is null || filter.IncludesDeal(data, d)))
            {
                RowsOf(dealsOf, data.DealOwner[d]).Add(d);
            }
        }

        var rows = new List<KpiRow>(groups.Count);
        foreach (var ((employee, start, end), targets) in groups)
        {
            var owner = owners[employee];
            var period = new DateInterval(start, end);
            var tally = Tally(data, activitiesOf.GetValueOrDefault(owner) ?? [], dealsOf.GetValueOrDefault(owner) ?? [], period, zone);
            var values = new List<KpiValue>();
            decimal weighted = 0m, weights = 0m;
            foreach (var kpi in kpis)
            {
                if (!targets.TryGetValue(kpi.Id, out var target))
                {
                    continue;
                }

                var actual = kpi.Measure switch
                {
                    KpiMeasure.Calls => tally.Calls,
                    KpiMeasure.Meetings => tally.Meetings,
                    KpiMeasure.WonRevenue => tally.Revenue.GetValueOrDefault(kpi.Currency!),
                    KpiMeasure.WonDeals => tally.Won,
                    _ => tally.Won + tally.Lost == 0 ? 0m : (decimal)tally.Won / (tally.Won + tally.Lost),
                };
                decimal? completion = target == 0m ? null : actual / target;
                values.Add(new KpiValue(kpi.Id, actual, target, completion, kpi.Weight));
                if (completion is { } c)
                {
                    weighted += kpi.Weight * c;
                    weights += kpi.Weight;
                }
            }

            rows.Add(new KpiRow(employee, period, values, weights == 0m ? 0m : weighted / weights) { EmployeeName = data.OwnerNames[owners[employee]] });
        }

        return rows;
    }

    private static List<int> RowsOf(Dictionary<int, List<int>> index, int owner)
    {
        if (!index.TryGetValue(owner, out var list))
        {
            index[owner] = list = [];
        }

        return list;
    }

    private static (int Calls, int Meetings, int Won, int Lost, Dictionary<string, decimal> Revenue) Tally(
        ReportData data, List<int> activities, List<int> deals, DateInterval period, DateTimeZone zone)
    {
        int calls = 0, meetings = 0, won = 0, lost = 0;
        foreach (var a in activities)
        {
            if (period.Contains(Instant.FromUnixTimeTicks(data.ActivityAt[a]).InZone(zone).Date))
            {
                calls += data.ActivityKinds[a] == ActivityKind.Call ? 1 : 0;
                meetings += data.ActivityKinds[a] == ActivityKind.Meeting ? 1 : 0;
            }
        }

        var revenue = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var d in deals)
        {
            if (!period.Contains(Instant.FromUnixTimeTicks(data.DealClosed[d]).InZone(zone).Date))
            {
                continue;
            }

            if (data.DealOutcome[d] == DealOutcome.Won)
            {
                won++;
                var currency = data.Currencies[data.DealCurrency[d]];
                revenue[currency] = revenue.GetValueOrDefault(currency) + data.DealAmount[d];
            }
            else
            {
                lost++;
            }
        }

        return (calls, meetings, won, lost, revenue);
    }

    internal static void Validate(IReadOnlyList<KpiDefinition> kpis, IReadOnlyList<KpiPlan> plans)
    {
        var errors = new List<ValidationError>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < kpis.Count; i++)
        {
            var kpi = kpis[i];
            if (kpi is null || string.IsNullOrWhiteSpace(kpi.Id))
            {
                errors.Add(new ValidationError($"kpis[{i}].id", "A KPI needs an id."));
                continue;
            }

            if (!ids.Add(kpi.Id))
            {
                errors.Add(new ValidationError($"kpis[{i}].id", $"KPI id '{kpi.Id}' is used twice."));
            }

            if (kpi.Weight <= 0m)
            {
                errors.Add(new ValidationError($"kpis[{i}].weight", $"KPI '{kpi.Id}' needs a positive weight, not {kpi.Weight}."));
            }

            if (!Enum.IsDefined(kpi.Measure))
            {
                errors.Add(new ValidationError($"kpis[{i}].measure", $"KPI '{kpi.Id}' has an unknown measure {(int)kpi.Measure}."));
            }

            if (kpi.Measure == KpiMeasure.WonRevenue && string.IsNullOrWhiteSpace(kpi.Currency))
            {
                errors.Add(new ValidationError($"kpis[{i}].currency", $"Revenue KPI '{kpi.Id}' needs a currency: revenue is never summed across currencies."));
            }
        }

        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            if (plan is null || plan.Period is null)
            {
                errors.Add(new ValidationError($"plans[{i}]", "A plan needs an employee, a KPI and a period."));
                continue;
            }

            if (!ids.Contains(plan.Kpi ?? ""))
            {
                errors.Add(new ValidationError($"plans[{i}].kpi", $"Plan of '{plan.Employee}' names KPI '{plan.Kpi}', which is not defined; defined: {string.Join(", ", ids)}."));
            }

            if (plan.Target < 0m)
            {
                errors.Add(new ValidationError($"plans[{i}].target", $"Plan of '{plan.Employee}' for '{plan.Kpi}' has a negative target {plan.Target}."));
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }
}
