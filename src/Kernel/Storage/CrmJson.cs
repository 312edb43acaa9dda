using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Events;
using NodaTime;
using NodaTime.Text;

namespace Crm.Kernel.Storage;

/// <summary>The JSON shape of stored documents and journal payloads: ids as strings, NodaTime values as ISO text.</summary>
internal static class CrmJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
        };
        options.Converters.Add(new PatternConverter<Instant>(InstantPattern.ExtendedIso));
        options.Converters.Add(new PatternConverter<LocalDate>(LocalDatePattern.Iso));
        options.Converters.Add(new PatternConverter<Duration>(DurationPattern.Roundtrip));
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new StringIdConverter<TenantId>(v => new TenantId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<UserId>(v => new UserId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<TeamId>(v => new TeamId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<ClientId>(v => new ClientId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<DealId>(v => new DealId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<PipelineId>(v => new PipelineId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<StageId>(v => new StageId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<GoalId>(v => new GoalId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<WorkTaskId>(v => new WorkTaskId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<ActivityId>(v => new ActivityId(v), id => id.Value));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"Stored JSON for {typeof(T).Name} is null.");

    private sealed class PatternConverter<T>(IPattern<T> pattern) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            pattern.Parse(reader.GetString() ?? string.Empty).Value;

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(pattern.Format(value));
    }

    private sealed class StringIdConverter<T>(Func<string, T> create, Func<T, string> value) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            create(reader.GetString() ?? string.Empty);

        public override void Write(Utf8JsonWriter writer, T id, JsonSerializerOptions options) =>
            writer.WriteStringValue(value(id));

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            create(reader.GetString() ?? string.Empty);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T id, JsonSerializerOptions options) =>
            writer.WritePropertyName(value(id));
    }
}

/// <summary>Maps journal event type names to CLR types: the kernel's own events plus any registered later.</summary>
internal sealed class EventTypeRegistry
{
    private readonly ConcurrentDictionary<string, Type> _byName = new(StringComparer.Ordinal);

    public EventTypeRegistry()
    {
        foreach (var type in typeof(DomainEvent).Assembly.GetTypes())
        {
            if (!type.IsAbstract && typeof(DomainEvent).IsAssignableFrom(type))
            {
                Register(type);
            }
        }
    }

    public void Register(Type type)
    {
        if (!typeof(DomainEvent).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type} is not a DomainEvent.", nameof(type));
        }

        _byName[NameOf(type)] = type;
    }

    public static string NameOf(Type type) => type.Name;

    public DomainEvent Deserialize(string eventType, string payload)
    {
        if (!_byName.TryGetValue(eventType, out var type))
        {
            throw new InvalidDataException($"The journal holds an event of unknown type '{eventType}'. Register its type (a plug-in may be missing).");
        }

        return (DomainEvent)(System.Text.Json.JsonSerializer.Deserialize(payload, type, CrmJson.Options)
            ?? throw new InvalidDataException($"Journal payload of '{eventType}' is null."));
    }

    public static string Serialize(DomainEvent domainEvent) =>
        System.Text.Json.JsonSerializer.Serialize(domainEvent, domainEvent.GetType(), CrmJson.Options);
}
