using System.Text.Json.Serialization;
using Crm.Abstractions;

namespace Crm.Kernel.Pipelines;

/// <summary>A pipeline as stored: its definition and how many times it was (re)defined.</summary>
internal sealed record StoredPipeline
{
    /// <summary>The definition in force.</summary>
    public required PipelineDefinition Definition { get; init; }
    /// <summary>1 for the first definition, +1 for each redefinition.</summary>
    public int Revision { get; init; }
    /// <summary>The stored version.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}
