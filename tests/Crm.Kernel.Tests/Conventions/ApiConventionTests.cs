using System.Reflection;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

/// <summary>
/// Issue 19 §5: one verb set across the session façades (docs/api-conventions.md). A new façade method whose name does
/// not start with a documented verb fails here: pick a verb from the table, or add the verb to the table and to this list.
/// </summary>
public sealed class ApiConventionTests
{
    /// <summary>The verbs of docs/api-conventions.md, in the order of its table, then the domain verbs it lists.</summary>
    private static readonly string[] Verbs =
    [
        "Define", "Register", "Open", "Create", "Log", "Import", "Install", "Set",
        "Move", "AchieveGoal", "Assign", "Reassign", "Fire", "Complete", "Issue", "MarkPaid",
        "Cancel", "Deactivate", "Get", "List", "Find",
        "Dial", "RaiseSignal", "DryRun", "RequestException", "DecideException", "RequestDiscountApproval", "DecideDiscount", "MarkRead", "RenderHtml", "Run", "Receive",
    ];

    [Fact]
    public void Issue19_session_facade_methods_start_with_a_documented_verb_and_end_in_Async()
    {
        var facades = typeof(Crm.Kernel.Hosting.CrmKernel).Assembly.GetExportedTypes()
            .Where(t => t.Name.StartsWith("Session", StringComparison.Ordinal) && t.IsClass)
            .ToList();
        Assert.True(facades.Count >= 15, $"expected the session façades, found {facades.Count}");

        var outliers = facades
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName)
                .Select(m => (Facade: t.Name, m.Name)))
            .Where(m => !m.Name.EndsWith("Async", StringComparison.Ordinal)
                || !Verbs.Any(v => m.Name.StartsWith(v, StringComparison.Ordinal) && m.Name.Length > v.Length && char.IsUpper(m.Name[v.Length])))
            .Select(m => $"{m.Facade}.{m.Name}")
            .Distinct()
            .ToList();

        Assert.True(outliers.Count == 0, "Façade methods outside docs/api-conventions.md: " + string.Join(", ", outliers));
    }
}
