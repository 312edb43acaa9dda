using Crm.Abstractions.Automation;
using System.Reflection;
using Crm.Kernel.Processes;

namespace Crm.Processes.Tests;

public sealed class ConventionTests
{
    private static readonly string[] Namespaces = ["Crm.Kernel.Processes", "Crm.Kernel.Processes.Templates", "Crm.Kernel.Scheduling"];

    [Fact]
    public void Public_process_and_scheduling_classes_are_sealed_static_or_abstract_by_design()
    {
        var designedForInheritance = new[] { typeof(Condition), typeof(AutomationAction) };
        var unsealed = typeof(ProcessMachine).Assembly.GetExportedTypes()
            .Where(t => Namespaces.Contains(t.Namespace) && t.IsClass && !t.IsSealed && !(t.IsAbstract && t.IsSealed))
            .Where(t => !designedForInheritance.Contains(t))
            .Select(t => t.FullName)
            .ToArray();
        Assert.Empty(unsealed);
    }

    [Fact]
    public void Condition_and_action_hierarchies_cannot_be_extended_outside_the_kernel()
    {
        // private protected constructors: the JSON format knows every subtype. (C# forces the record copy constructor
        // of an abstract record to be protected; it is the only other way in.)
        foreach (var type in new[] { typeof(Condition), typeof(AutomationAction) })
        {
            var open = type.GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                .Where(c => c.IsPublic || c.IsFamily)
                .Where(c => !(c.GetParameters() is [var only] && only.ParameterType == type));
            Assert.Empty(open);
        }
    }
}
