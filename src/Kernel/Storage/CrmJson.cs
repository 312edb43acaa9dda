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
        options.Converters.Add(new InstantConverter());
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
        options.Converters.Add(new StringIdConverter<ProcessId>(v => new ProcessId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<InvoiceId>(v => new InvoiceId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<RuleId>(v => new RuleId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<NotificationId>(v => new NotificationId(v), id => id.Value));
        options.Converters.Add(new StringIdConverter<WebhookSubscriptionId>(v => new WebhookSubscriptionId(v), id => id.Value));
        // Converters a capability's stored states need (e.g. the automation shape of goal reactions, old shapes upcast).
        foreach (var registration in AggregateRegistry.Registrations)
        {
            registration.AddJsonConverters(options.Converters);
        }

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

    // Kept: InstantPattern.ExtendedIso was 1.8–3.3x slower to write, 3.4–5x to read, and allocates (SerializationBenchmarks, benchmarks/README.md).
    /// <summary>
    /// Instants as <see cref="InstantPattern.ExtendedIso"/> text (<c>2026-01-05T09:00:00.5Z</c>), written and read
    /// digit by digit for years 0001–9999; anything else goes through the pattern, with the same text and errors.
    /// </summary>
    internal sealed class InstantConverter : JsonConverter<Instant>
    {
        public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && !reader.HasValueSequence && !reader.ValueIsEscaped && TryParse(reader.ValueSpan, out var instant))
            {
                return instant;
            }

            return InstantPattern.ExtendedIso.Parse(reader.GetString() ?? string.Empty).Value;
        }

        public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options)
        {
            Span<byte> buffer = stackalloc byte[32];
            if (TryFormat(value, buffer, out var written))
            {
                writer.WriteStringValue(buffer[..written]);
            }
            else
            {
                writer.WriteStringValue(InstantPattern.ExtendedIso.Format(value));
            }
        }

        /// <summary>Formats as <c>uuuu-MM-ddTHH:mm:ss[.fraction]Z</c>, the fraction without trailing zeros.</summary>
        internal static bool TryFormat(Instant value, Span<byte> buffer, out int written)
        {
            written = 0;
            var utc = value.InUtc();
            if (utc.Year is < 1 or > 9999)
            {
                return false;
            }

            Digits(buffer, 0, utc.Year, 4);
            buffer[4] = (byte)'-';
            Digits(buffer, 5, utc.Month, 2);
            buffer[7] = (byte)'-';
            Digits(buffer, 8, utc.Day, 2);
            buffer[10] = (byte)'T';
            Digits(buffer, 11, utc.Hour, 2);
            buffer[13] = (byte)':';
            Digits(buffer, 14, utc.Minute, 2);
            buffer[16] = (byte)':';
            Digits(buffer, 17, utc.Second, 2);
            var position = 19;
            var nanos = utc.NanosecondOfSecond;
            if (nanos != 0)
            {
                buffer[position++] = (byte)'.';
                var digits = 9;
                while (nanos % 10 == 0)
                {
                    nanos /= 10;
                    digits--;
                }

                Digits(buffer, position, nanos, digits);
                position += digits;
            }

            buffer[position++] = (byte)'Z';
            written = position;
            return true;
        }

        /// <summary>Parses exactly what <see cref="TryFormat"/> writes (fraction of 1–9 digits); false for anything else.</summary>
        internal static bool TryParse(ReadOnlySpan<byte> text, out Instant instant)
        {
            instant = default;
            if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[^1] != 'Z'
                || !Number(text, 0, 4, out var year) || !Number(text, 5, 2, out var month) || !Number(text, 8, 2, out var day)
                || !Number(text, 11, 2, out var hour) || !Number(text, 14, 2, out var minute) || !Number(text, 17, 2, out var second))
            {
                return false;
            }

            var nanos = 0;
            if (text.Length > 20)
            {
                var digits = text.Length - 21;
                if (text[19] != '.' || digits is < 1 or > 9 || !Number(text, 20, digits, out nanos))
                {
                    return false;
                }

                for (var i = digits; i < 9; i++)
                {
                    nanos *= 10;
                }
            }

            if (year < 1 || month is < 1 or > 12 || day < 1 || day > CalendarSystem.Iso.GetDaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            {
                return false;
            }

            instant = new LocalDateTime(year, month, day, hour, minute, second).PlusNanoseconds(nanos).InUtc().ToInstant();
            return true;
        }

        private static void Digits(Span<byte> buffer, int start, int value, int count)
        {
            for (var i = start + count - 1; i >= start; i--)
            {
                buffer[i] = (byte)('0' + value % 10);
                value /= 10;
            }
        }

        private static bool Number(ReadOnlySpan<byte> text, int start, int count, out int value)
        {
            value = 0;
            for (var i = start; i < start + count; i++)
            {
                var digit = text[i] - '0';
                if ((uint)digit > 9)
                {
                    return false;
                }

                value = value * 10 + digit;
            }

            return true;
        }
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
        // The public events of Crm.Abstractions and the kernel's own ones, which live beside the capability that owns them.
        foreach (var type in AggregateRegistry.EventTypes())
        {
            Register(type);
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
