// Compiled into every test project (eng/CrmTests.targets). Issue 18: on CI a missing snapshot fails its test.
using System.Runtime.CompilerServices;

namespace Crm.Testing;

/// <summary>
/// Turns on Snapshooter's strict mode (<c>SNAPSHOOTER_STRICT_MODE=true</c>: a missing <c>.snap</c> fails the test
/// instead of being written) when the tests run on CI (<c>CI=true</c>), however they were started. A value set
/// explicitly is kept.
/// </summary>
internal static class StrictSnapshots
{
    /// <summary>Snapshooter's switch.</summary>
    public const string Variable = "SNAPSHOOTER_STRICT_MODE";

    /// <summary>The value strict mode should have given CI's and the current variable's values; null leaves it unset.</summary>
    public static string? ValueFor(string? ci, string? current) =>
        !string.IsNullOrEmpty(current) ? current
        : string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1" ? "true"
        : null;

#pragma warning disable CA2255 // A module initializer in a test assembly: it must run before any snapshot is matched.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        var value = ValueFor(Environment.GetEnvironmentVariable("CI"), Environment.GetEnvironmentVariable(Variable));
        if (value is not null)
        {
            Environment.SetEnvironmentVariable(Variable, value);
        }
    }
}
