using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Reports;
using NodaTime;

namespace Crm.Kernel.Methodologies;

/// <summary>A methodology installed into a tenant: what it defined there, its classifiers and report presets.</summary>
public sealed record InstalledMethodology
{
    /// <summary>The methodology's id.</summary>
    public required string Id { get; init; }

    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>The pipelines it defined.</summary>
    public IReadOnlyList<PipelineId> Pipelines { get; init; } = [];

    /// <summary>Its rules as <c>id@version</c>.</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    /// <summary>Its process templates as <c>id@version</c>.</summary>
    public IReadOnlyList<string> ProcessTemplates { get; init; } = [];

    /// <summary>Its client classifiers with their allowed values.</summary>
    public IReadOnlyList<ClientClassifierDefinition> Classifiers { get; init; } = [];

    /// <summary>Its report presets as JSON; <see cref="SessionMethodologies.ListReportPresetsAsync"/> reads them as definitions.</summary>
    public IReadOnlyList<string> ReportPresets { get; init; } = [];

    /// <summary>When it was last installed (or updated).</summary>
    public Instant InstalledAt { get; init; }

    /// <summary>How many installs changed something (1 after the first; an install that changes nothing does not count).</summary>
    public int Installations { get; init; }

    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A methodology the kernel offers (from a plug-in) and whether this tenant has it installed.</summary>
/// <param name="Id">The id to pass to <see cref="SessionMethodologies.InstallAsync"/>.</param>
/// <param name="Name">The name shown to people.</param>
/// <param name="Description">What it is and when to use it.</param>
/// <param name="Installed">The installation in this tenant, or null.</param>
public sealed record MethodologyInfo(string Id, string Name, string Description, InstalledMethodology? Installed);

/// <summary>A report preset of an installed methodology.</summary>
/// <param name="Methodology">The methodology's id.</param>
/// <param name="Definition">The report designer definition; run it with <see cref="ReportDesigner.Run"/>.</param>
public sealed record ReportPreset(string Methodology, ReportDefinition Definition);

/// <summary>
/// A methodology cannot be installed: one of its pipelines, JSON documents or classifiers is invalid. Every problem is
/// listed with a path that starts with the methodology and the document, e.g.
/// <c>methodologies[spin].processTemplates[spin-discovery.json].steps[1].transitions[0].target</c>. Nothing was installed.
/// </summary>
public sealed class MethodologyValidationException : CrmValidationException
{
    /// <summary>Creates the exception for a methodology's problems (at least one).</summary>
    public MethodologyValidationException(string methodology, IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
        Methodology = methodology;
    }

    /// <summary>The methodology's id.</summary>
    public string Methodology { get; }
}
