using System.Buffers;
using System.Text;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Storage;
using NodaTime;
using NodaTime.Text;

namespace Crm.Kernel.Deals;

// Kept: System.Text.Json source generation was 1.36–1.43x slower and allocates 15 % more (SerializationBenchmarks, --serialization-pairs; benchmarks/README.md).
/// <summary>
/// Writes a deal's stored JSON, byte for byte what <see cref="CrmJson.Serialize{T}"/> writes (same property names and
/// order, nulls left out, the same writer and escaping). Reading stays with the serializer. Tests hold the two to the
/// same output for generated deals, and a property added to <see cref="Deal"/> or <see cref="StageVisit"/> fails a test
/// until it is added here too.
/// </summary>
internal static class DealJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private static readonly CrmJson.InstantConverter Instants = new();

    /// <summary>The deal's JSON.</summary>
    public static string Write(Deal deal)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CrmJson.Options.Encoder, SkipValidation = true });
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            WriteDeal(writer, deal);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > 64 * 1024)
            {
                // A deal with a very long history: do not keep its buffer for the thread's lifetime.
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static void WriteDeal(Utf8JsonWriter writer, Deal deal)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, deal.Id.Value);
        writer.WriteString("client"u8, deal.Client.Value);
        writer.WriteString("pipeline"u8, deal.Pipeline.Value);
        writer.WriteString("stage"u8, deal.Stage.Value);
        writer.WriteString("owner"u8, deal.Owner.Value);
        writer.WritePropertyName("amount"u8);
        writer.WriteStartObject();
        writer.WriteNumber("amount"u8, deal.Amount.Amount);
        if (deal.Amount.Currency is { } currency)
        {
            writer.WriteString("currency"u8, currency);
        }

        writer.WriteEndObject();
        if (deal.Title is { } title)
        {
            writer.WriteString("title"u8, title);
        }

        if (deal.Source is { } source)
        {
            writer.WriteString("source"u8, source);
        }

        if (deal.WinProbability is { } probability)
        {
            writer.WriteNumber("winProbability"u8, probability);
        }

        if (deal.ExpectedClose is { } close)
        {
            writer.WriteString("expectedClose"u8, LocalDatePattern.Iso.Format(close));
        }

        WriteDictionary(writer, "fields"u8, deal.Fields);
        WriteDictionary(writer, "classifiers"u8, deal.Classifiers);
        if (deal.AchievedGoals is { } goals)
        {
            writer.WritePropertyName("achievedGoals"u8);
            writer.WriteStartArray();
            foreach (var goal in goals)
            {
                writer.WriteStringValue(goal.Value);
            }

            writer.WriteEndArray();
        }

        writer.WritePropertyName("status"u8);
        WriteEnum(writer, deal.Status);
        WriteInstant(writer, "openedAt"u8, deal.OpenedAt);
        WriteInstant(writer, "closedAt"u8, deal.ClosedAt);

        if (deal.History is { } history)
        {
            writer.WritePropertyName("history"u8);
            writer.WriteStartArray();
            foreach (var visit in history)
            {
                WriteVisit(writer, visit);
            }

            writer.WriteEndArray();
        }

        if (deal.Lines is { } lines)
        {
            writer.WritePropertyName("lines"u8);
            writer.WriteStartArray();
            foreach (var line in lines)
            {
                WriteLine(writer, line);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteLine(Utf8JsonWriter writer, Crm.Abstractions.Events.DealLine? line)
    {
        if (line is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        if (line.Product is { } product)
        {
            writer.WriteString("product"u8, product);
        }

        writer.WriteNumber("quantity"u8, line.Quantity);
        writer.WritePropertyName("unitPrice"u8);
        writer.WriteStartObject();
        writer.WriteNumber("amount"u8, line.UnitPrice.Amount);
        if (line.UnitPrice.Currency is { } currency)
        {
            writer.WriteString("currency"u8, currency);
        }

        writer.WriteEndObject();
        writer.WriteNumber("discountPercent"u8, line.DiscountPercent);
        writer.WriteEndObject();
    }

    private static void WriteVisit(Utf8JsonWriter writer, StageVisit? visit)
    {
        if (visit is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("stage"u8, visit.Stage.Value);
        WriteInstant(writer, "enteredAt"u8, visit.EnteredAt);
        WriteInstant(writer, "leftAt"u8, visit.LeftAt);

        if (visit.By is { } by)
        {
            writer.WriteString("by"u8, by.Value);
        }

        writer.WritePropertyName("cause"u8);
        writer.WriteStartObject();
        writer.WritePropertyName("kind"u8);
        WriteEnum(writer, visit.Cause.Kind);
        if (visit.Cause.Reference is { } reference)
        {
            writer.WriteString("reference"u8, reference);
        }

        if (visit.Cause.Description is { } description)
        {
            writer.WriteString("description"u8, description);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>An instant property; a null one is left out.</summary>
    private static void WriteInstant(Utf8JsonWriter writer, ReadOnlySpan<byte> name, Instant? value)
    {
        if (value is { } instant)
        {
            writer.WritePropertyName(name);
            Instants.Write(writer, instant, CrmJson.Options);
        }
    }

    private static void WriteDictionary(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, string>? values)
    {
        if (values is null)
        {
            return;
        }

        writer.WritePropertyName(name);
        writer.WriteStartObject();
        foreach (var (key, value) in values)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>As the serializer's string enum converter: the member's name, or the number for an undefined value.</summary>
    private static void WriteEnum<TEnum>(Utf8JsonWriter writer, TEnum value)
        where TEnum : struct, Enum
    {
        if (Enum.IsDefined(value))
        {
            writer.WriteStringValue(value.ToString());
        }
        else
        {
            JsonSerializer.Serialize(writer, value, CrmJson.Options);
        }
    }
}
