using System.Text;
using Stateless;
using Stateless.Graph;

namespace Crm.Kernel.Processes;

/// <summary>Exports a template as a picture: DOT (Graphviz) and Mermaid, both through Stateless' graph export.</summary>
public static class ProcessTemplateGraph
{
    /// <summary>
    /// The template as a UML-style DOT graph; guarded transitions show their guard, final steps lead to an end node.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    public static string ToDot(ProcessTemplate template)
    {
        var dot = UmlDotGraph.Format(Describe(template).GetInfo());
        var finals = template.FinalSteps;
        if (finals.Count == 0)
        {
            return dot;
        }

        // Stateless knows no final states; draw them the UML way, as arrows to an end point.
        var end = new StringBuilder(" final [label=\"\", shape=doublecircle, width=0.2];\n");
        foreach (var step in finals)
        {
            end.Append(" \"").Append(step).Append("\" -> final [style = \"solid\"]\n");
        }

        var close = dot.LastIndexOf('}');
        return dot[..close] + end + dot[close..];
    }

    /// <summary>
    /// The template as a Mermaid state diagram; guarded transitions show their guard, final steps lead to <c>[*]</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null.</exception>
    public static string ToMermaid(ProcessTemplate template)
    {
        var mermaid = new StringBuilder(MermaidGraph.Format(Describe(template).GetInfo()));
        foreach (var step in template.FinalSteps)
        {
            mermaid.Append('\n').Append(step).Append(" --> [*]");
        }

        return mermaid.ToString();
    }

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
