using System.Globalization;
using Crm.Abstractions;

namespace Crm.Kernel.Reports;

/// <summary>
/// A report cannot be computed because a sum, product or ratio of its amounts exceeds the range of <see cref="decimal"/>
/// (±79,228,162,514,264,337,593,543,950,335). The API bounds what it accepts, so such amounts come from data stored
/// before the bound (or imported around it). Only this report fails: the board and the other reports still work.
/// Correct the amount of the deal named in the message (for instance with <c>session.Deals.ChangeAmountAsync</c>).
/// </summary>
public sealed class ReportOverflowException : CrmException
{
    internal ReportOverflowException(string report, string? deal, Money? largest, Exception innerException)
        : base(Describe(report, deal, largest), innerException)
    {
        Report = report;
        Deal = deal;
        LargestAmount = largest;
    }

    /// <summary>The report that could not be computed, e.g. <c>Funnel</c> or <c>ReportDesigner.Run</c>.</summary>
    public string Report { get; }

    /// <summary>The id of the deal with the largest amount in the snapshot (the likely cause); null when it has no deal.</summary>
    public string? Deal { get; }

    /// <summary>That deal's amount.</summary>
    public Money? LargestAmount { get; }

    /// <summary>Runs one report's calculation, turning an overflow of its sums into this exception for that report alone.</summary>
    internal static T Guard<T>(string report, ReportData data, Func<T> calculate)
    {
        try
        {
            return calculate();
        }
        catch (OverflowException e)
        {
            throw For(report, data, e);
        }
    }

    /// <summary>The exception for <paramref name="report"/> over <paramref name="data"/>, naming its largest deal.</summary>
    private static ReportOverflowException For(string report, ReportData data, OverflowException innerException)
    {
        var largest = -1;
        for (var d = 0; d < data.DealCount; d++)
        {
            if (largest < 0 || Math.Abs(data.DealAmount[d]) > Math.Abs(data.DealAmount[largest]))
            {
                largest = d;
            }
        }

        return largest < 0
            ? new ReportOverflowException(report, null, null, innerException)
            : new ReportOverflowException(report, data.DealIds[largest], Money.Of(data.DealAmount[largest], data.Currencies[data.DealCurrency[largest]]), innerException);
    }

    private static string Describe(string report, string? deal, Money? largest)
    {
        var text = $"Report '{report}' cannot be computed: a sum or ratio of amounts exceeds the decimal range (±{decimal.MaxValue.ToString("N0", CultureInfo.InvariantCulture)}).";
        return deal is null || largest is not { } money
            ? text + " Check the targets and plans the report reads."
            : text + $" The largest deal amount in the snapshot is deal '{deal}' with {money.Amount.ToString(CultureInfo.InvariantCulture)} {money.Currency}:"
                + " amounts this large predate the API's bound; correct that deal's amount (or the target or plan if those are the large figures).";
    }
}
