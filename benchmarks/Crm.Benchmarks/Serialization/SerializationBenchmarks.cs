using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Crm.Abstractions;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;
using NodaTime;
using NodaTime.Text;

namespace Crm.Benchmarks.Serialization;

/// <summary>
/// Issue 19.8: the hand-written deal writer (<see cref="DealJson"/>) and the digit-by-digit instant converter
/// (<see cref="CrmJson.InstantConverter"/>) against System.Text.Json source generation and the reflection serializer,
/// in one run. Each category has its own baseline (the reflection serializer for deals, NodaTime's pattern for instants).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class SerializationBenchmarks
{
    private Deal _deal = null!;
    private string _dealJson = null!;
    private DealSourceGenContext _sourceGen = null!;
    private DealSourceGenContext _sourceGenPatternInstants = null!;
    private JsonSerializerOptions _reflectionPatternInstants = null!;
    private Instant[] _instants = null!;
    private byte[] _instantsJson = null!;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter _writer = null!;
    private readonly CrmJson.InstantConverter _handInstants = new();
    private readonly PatternInstantConverter _patternInstants = new();

    /// <summary>A deal as commands leave it: four stage visits, fields, classifiers, goals; and 16 instants.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var opened = Instant.FromUtc(2026, 3, 2, 9, 15, 7).PlusNanoseconds(123_400_000);
        var stages = new[] { "lead", "qualified", "proposal", "negotiation" };
        var history = new List<StageVisit>();
        for (var i = 0; i < stages.Length; i++)
        {
            var entered = opened.Plus(Duration.FromHours(26 * i)).PlusNanoseconds(i * 1_000_000);
            history.Add(new StageVisit(new StageId(stages[i]), entered, i == stages.Length - 1 ? null : entered.Plus(Duration.FromHours(26)),
                i == 0 ? null : new UserId("seller-1"), i % 2 == 0 ? Cause.Manual : Cause.Goal(new GoalId("g" + i), "Goal " + i)));
        }

        _deal = new Deal
        {
            Id = new DealId("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"),
            Client = new ClientId("0192a3b4-c5d6-7e8f-9a0b-000000000001"),
            Pipeline = new PipelineId("b2b"),
            Stage = new StageId("negotiation"),
            Owner = new UserId("seller-1"),
            Amount = Money.Of(12_500.50m, "EUR"),
            Title = "Fleet renewal, 40 vans",
            Source = "website",
            WinProbability = 0.6m,
            ExpectedClose = new LocalDate(2026, 6, 30),
            Fields = new Dictionary<string, string> { ["budget"] = "approved", ["decisionMaker"] = "CFO", ["region"] = "Nord" },
            Classifiers = new Dictionary<string, string> { ["segment"] = "mid-market" },
            AchievedGoals = [new GoalId("g1"), new GoalId("g3")],
            Status = DealStatus.Open,
            OpenedAt = opened,
            History = history,
        };

        _sourceGen = new DealSourceGenContext(new JsonSerializerOptions(CrmJson.Options));
        var patternOptions = new JsonSerializerOptions(CrmJson.Options);
        patternOptions.Converters.Remove(patternOptions.Converters.OfType<CrmJson.InstantConverter>().Single());
        patternOptions.Converters.Insert(0, _patternInstants);
        _sourceGenPatternInstants = new DealSourceGenContext(new JsonSerializerOptions(patternOptions));
        _reflectionPatternInstants = patternOptions;
        _reflectionPatternInstants.MakeReadOnly(populateMissingResolver: true);

        // The kernel relies on the stored text: every writer here must produce the same bytes, every reader the same deal.
        _dealJson = JsonSerializer.Serialize(_deal, CrmJson.Options);
        Same(_dealJson, DealJson.Write(_deal), "DealJson");
        Same(_dealJson, JsonSerializer.Serialize(_deal, _sourceGen.Deal), "source generation");
        Same(_dealJson, JsonSerializer.Serialize(_deal, _sourceGenPatternInstants.Deal), "source generation, pattern instants");
        Same(_dealJson, JsonSerializer.Serialize(_deal, DealCompileTimeContext.Default.Deal), "source generation, compile-time converters");
        Same(_dealJson, JsonSerializer.Serialize(JsonSerializer.Deserialize(_dealJson, DealCompileTimeContext.Default.Deal)!, CrmJson.Options), "source-generated read, compile-time converters");
        Same(_dealJson, JsonSerializer.Serialize(_deal, _reflectionPatternInstants), "reflection, pattern instants");
        Same(_dealJson, JsonSerializer.Serialize(JsonSerializer.Deserialize(_dealJson, _sourceGen.Deal)!, CrmJson.Options), "source-generated read");

        _instants = new Instant[16];
        for (var i = 0; i < _instants.Length; i++)
        {
            // Whole seconds, milliseconds and ticks, as commands stamp them.
            _instants[i] = opened.Plus(Duration.FromMinutes(97 * i)).PlusNanoseconds((i % 3) switch { 0 => 0, 1 => 250_000_000, _ => 123_456_700 } - 123_400_000);
        }

        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = CrmJson.Options.Encoder, SkipValidation = true });
        var hand = Encoding.UTF8.GetString(WriteInstants(_handInstants));
        Same(Encoding.UTF8.GetString(WriteInstants(_patternInstants)), hand, "instant converter");
        _instantsJson = Encoding.UTF8.GetBytes(hand);
        if (ReadInstants(_handInstants) != ReadInstants(_patternInstants))
        {
            throw new InvalidOperationException("The instant converters read different instants.");
        }
    }

    private static void Same(string expected, string actual, string what)
    {
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{what} writes other bytes:\n{expected}\n{actual}");
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Deal write")]
    public string Deal_write_reflection() => JsonSerializer.Serialize(_deal, CrmJson.Options);

    [Benchmark, BenchmarkCategory("Deal write")]
    public string Deal_write_DealJson() => DealJson.Write(_deal);

    [Benchmark, BenchmarkCategory("Deal write")]
    public string Deal_write_source_generated() => JsonSerializer.Serialize(_deal, _sourceGen.Deal);

    [Benchmark, BenchmarkCategory("Deal write")]
    public string Deal_write_source_generated_compile_time_converters() => JsonSerializer.Serialize(_deal, DealCompileTimeContext.Default.Deal);

    [Benchmark, BenchmarkCategory("Deal write")]
    public string Deal_write_source_generated_pattern_instants() => JsonSerializer.Serialize(_deal, _sourceGenPatternInstants.Deal);

    [Benchmark, BenchmarkCategory("Deal write")]
    public string Deal_write_reflection_pattern_instants() => JsonSerializer.Serialize(_deal, _reflectionPatternInstants);

    [Benchmark(Baseline = true), BenchmarkCategory("Deal read")]
    public Deal Deal_read_reflection() => JsonSerializer.Deserialize<Deal>(_dealJson, CrmJson.Options)!;

    [Benchmark, BenchmarkCategory("Deal read")]
    public Deal Deal_read_source_generated() => JsonSerializer.Deserialize(_dealJson, _sourceGen.Deal)!;

    [Benchmark, BenchmarkCategory("Deal read")]
    public Deal Deal_read_source_generated_compile_time_converters() => JsonSerializer.Deserialize(_dealJson, DealCompileTimeContext.Default.Deal)!;

    [Benchmark, BenchmarkCategory("Deal read")]
    public Deal Deal_read_reflection_pattern_instants() => JsonSerializer.Deserialize<Deal>(_dealJson, _reflectionPatternInstants)!;

    [Benchmark(Baseline = true), BenchmarkCategory("16 instants write")]
    public int Instants_write_pattern() => WriteInstants(_patternInstants).Length;

    [Benchmark, BenchmarkCategory("16 instants write")]
    public int Instants_write_hand_written() => WriteInstants(_handInstants).Length;

    [Benchmark(Baseline = true), BenchmarkCategory("16 instants read")]
    public long Instants_read_pattern() => ReadInstants(_patternInstants);

    [Benchmark, BenchmarkCategory("16 instants read")]
    public long Instants_read_hand_written() => ReadInstants(_handInstants);

    private ReadOnlySpan<byte> WriteInstants(JsonConverter<Instant> converter)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartArray();
        foreach (var instant in _instants)
        {
            converter.Write(_writer, instant, CrmJson.Options);
        }

        _writer.WriteEndArray();
        _writer.Flush();
        return _buffer.WrittenSpan;
    }

    private long ReadInstants(JsonConverter<Instant> converter)
    {
        var reader = new Utf8JsonReader(_instantsJson);
        reader.Read();
        long sum = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            sum += converter.Read(ref reader, typeof(Instant), CrmJson.Options).ToUnixTimeTicks();
        }

        return sum;
    }
}

/// <summary>Instants through NodaTime's <see cref="InstantPattern.ExtendedIso"/>, as the kernel wrote them before the hand-written converter.</summary>
internal sealed class PatternInstantConverter : JsonConverter<Instant>
{
    public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        InstantPattern.ExtendedIso.Parse(reader.GetString() ?? string.Empty).Value;

    public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
        writer.WriteStringValue(InstantPattern.ExtendedIso.Format(value));
}

/// <summary>Source-generated metadata for a deal, with the kernel's options (web defaults, nulls left out, its converters at run time).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Deal))]
internal sealed partial class DealSourceGenContext : JsonSerializerContext;

/// <summary>
/// Source-generated metadata for a deal with every converter the kernel uses declared at compile time (so no converter
/// is added at run time), the way a kernel-owned context would have to be written.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(CrmJson.InstantConverter), typeof(LocalDateIsoConverter), typeof(JsonStringEnumConverter<DealStatus>),
        typeof(JsonStringEnumConverter<CauseKind>), typeof(DealIdConverter), typeof(ClientIdConverter), typeof(PipelineIdConverter),
        typeof(StageIdConverter), typeof(UserIdConverter), typeof(GoalIdConverter)])]
[JsonSerializable(typeof(Deal))]
internal sealed partial class DealCompileTimeContext : JsonSerializerContext;

/// <summary>Local dates as ISO text, as the kernel's pattern converter writes them.</summary>
internal sealed class LocalDateIsoConverter : JsonConverter<LocalDate>
{
    public override LocalDate Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        LocalDatePattern.Iso.Parse(reader.GetString() ?? string.Empty).Value;

    public override void Write(Utf8JsonWriter writer, LocalDate value, JsonSerializerOptions options) =>
        writer.WriteStringValue(LocalDatePattern.Iso.Format(value));
}

/// <summary>An id as its string, as the kernel's id converters write it.</summary>
internal abstract class IdConverter<T>(Func<string, T> create, Func<T, string> value) : JsonConverter<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => create(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, T id, JsonSerializerOptions options) => writer.WriteStringValue(value(id));
}

internal sealed class DealIdConverter() : IdConverter<DealId>(v => new DealId(v), id => id.Value);

internal sealed class ClientIdConverter() : IdConverter<ClientId>(v => new ClientId(v), id => id.Value);

internal sealed class PipelineIdConverter() : IdConverter<PipelineId>(v => new PipelineId(v), id => id.Value);

internal sealed class StageIdConverter() : IdConverter<StageId>(v => new StageId(v), id => id.Value);

internal sealed class UserIdConverter() : IdConverter<UserId>(v => new UserId(v), id => id.Value);

internal sealed class GoalIdConverter() : IdConverter<GoalId>(v => new GoalId(v), id => id.Value);
