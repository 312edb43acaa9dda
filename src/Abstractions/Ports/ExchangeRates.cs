using NodaTime;

namespace Crm.Abstractions.Ports;

/// <summary>The exchange-rates port: reports convert amounts through it, never summing across currencies.</summary>
public interface IExchangeRates
{
    /// <summary>The rate to multiply an amount in <paramref name="from"/> by to get <paramref name="to"/>, on a date; false when unknown.</summary>
    bool TryGetRate(string from, string to, LocalDate on, out decimal rate);
}
