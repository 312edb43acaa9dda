using Stateless;
using Stateless.Graph;

namespace Crm.Kernel.Processes;

/// <summary>Exports a template as a picture: DOT (Graphviz) and Mermaid, both through Stateless' graph export.</summary>
public static class ProcessTemplateGraph
{
    /// <summary>The template as a UML-style DOT graph; guarded transitions show their guard.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    public static string ToDot(ProcessTemplate template) => UmlDotGraph.Format(Describe(template).GetInfo());

    /// <summary>The template as a Mermaid state diagram; guarded transitions show their guard.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    public static string ToMermaid(ProcessTemplate template) => MermaidGraph.Format(Describe(template).GetInfo());

    private static StateMachine<string, string> Describe(ProcessTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        // A throw-away machine: export needs the configuration only, never an instance's state or variables.
        var machine = new StateMachine<string, string>(template.InitialStep);
        ConfiguredProcessMachine.Configure(machine, template, static () => EmptyVariables);
        return machine;
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyVariables = new Dictionary<string, string>();
}
