using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Deals;

namespace Crm.Kernel.Automation;

/// <summary>The read-only <see cref="DealView"/> of a kernel deal, for C# conditions and plug-in action handlers.</summary>
internal static class DealViews
{
    public static DealView ToView(this Deal deal) =>
        new(deal.Id, deal.Pipeline, deal.Stage, deal.Owner, deal.Client, deal.Amount,
            deal.Status switch { DealStatus.Won => StageKind.Won, DealStatus.Lost => StageKind.Lost, _ => StageKind.Open })
        {
            Title = deal.Title,
            Source = deal.Source,
            Fields = deal.Fields,
            Classifiers = deal.Classifiers,
        };
}
