using Crm.Abstractions;
using Crm.Kernel.Reports;
using FsCheck.Xunit;

namespace Crm.Kernel.Tests.Reports;

/// <summary>
/// The funnel keeps the stages a deal entered as bits of one word up to 64 stages and as flags beyond: both ways must
/// give the same funnel. 70 extra lost stages (no deal enters them) push the same deals onto the wide path.
/// </summary>
public sealed class FunnelWideSnapshotTests
{
    private static readonly PipelineDefinition Wide = new(new PipelineId("wide"), "Wide",
        Enumerable.Range(0, 70).Select(i => new StageDefinition(new StageId($"gone{i}"), $"Gone {i}", StageKind.Lost)).ToArray());

    [Property(MaxTest = 100)]
    public bool Funnel_over_more_than_64_stages_equals_the_funnel_over_the_same_deals(byte[] script)
    {
        var narrow = SalesReports.Funnel(ReportFixtures.Random(script));
        var wide = SalesReports.Funnel(ReportFixtures.Random(script, Wide));
        return wide.Lost == narrow.Lost && wide.Bottleneck == narrow.Bottleneck && wide.Stages.Count == narrow.Stages.Count
            && wide.Stages.Zip(narrow.Stages).All(p => p.First.Stage == p.Second.Stage && p.First.Deals == p.Second.Deals
                && p.First.ConversionToNext == p.Second.ConversionToNext && p.First.Amounts.SequenceEqual(p.Second.Amounts));
    }
}
