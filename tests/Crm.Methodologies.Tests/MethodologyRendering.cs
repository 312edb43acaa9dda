using Crm.Abstractions.Automation;
using System.Globalization;
using System.Text;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Processes;

namespace Crm.Methodologies.Tests;

/// <summary>Renders a methodology as text for snapshots: its stages (norms, probabilities, required fields, goals and reactions) and its templates as Mermaid.</summary>
public static class MethodologyRendering
{
    public static string Render(SalesMethodology methodology)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {methodology.Name} ({methodology.Id})\n");
        foreach (var pipeline in methodology.Pipelines)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## Pipeline {pipeline.Id}: {pipeline.Name}\n");
            foreach (var stage in pipeline.Stages)
            {
                var norm = stage.Norm is { } n ? $"norm {n.TotalDays.ToString(CultureInfo.InvariantCulture)} d" : "no norm";
                var p = stage.WinProbability is { } w ? $"p {w.ToString(CultureInfo.InvariantCulture)}" : "p -";
                var required = stage.RequiredFields.Count == 0 ? "" : $", requires {string.Join(", ", stage.RequiredFields)}";
                text.Append(CultureInfo.InvariantCulture, $"- {stage.Id} \"{stage.Name}\" [{stage.Kind}] {norm}, {p}{required}\n");
                foreach (var goal in stage.Goals)
                {
                    text.Append(CultureInfo.InvariantCulture, $"  - goal {goal.Id} \"{goal.Name}\" → {string.Join("; ", goal.Reactions.Select(Describe))}\n");
                }
            }
        }

        foreach (var classifier in methodology.Classifiers)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nclassifier {classifier.Name}: {string.Join(" | ", classifier.AllowedValues)}\n");
        }

        foreach (var document in methodology.ProcessTemplates)
        {
            var template = ProcessTemplateJson.Load(document.Json);
            text.Append(CultureInfo.InvariantCulture, $"\n## Process {template.Id} v{template.Version} ({document.Name})\n");
            text.Append(ProcessTemplateGraph.ToMermaid(template).ReplaceLineEndings("\n").TrimEnd('\n')).Append('\n');
        }

        foreach (var document in methodology.Rules)
        {
            var rule = Crm.Kernel.Rules.RuleJson.Load(document.Json);
            text.Append(CultureInfo.InvariantCulture, $"\nrule {rule.Id} on {rule.Trigger}: {rule.Name}\n");
        }

        foreach (var document in methodology.ReportPresets)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nreport preset {document.Name}\n");
        }

        return text.ToString();
    }

    private static string Describe(AutomationAction reaction) => reaction switch
    {
        MoveToStage m => $"move to {m.Stage}",
        SetField { Field: var f } c when f.StartsWith("client.classifier.", StringComparison.Ordinal) => $"client {f["client.classifier.".Length..]} = {c.Value}",
        SetField { Field: var f } d when f.StartsWith("deal.field.", StringComparison.Ordinal) => $"deal field {f["deal.field.".Length..]} = {d.Value}",
        SetField s => $"set {s.Field} = {s.Value}",
        CreateTask t => $"task \"{t.Title}\" in {(t.Due.Kind == BusinessDurationKind.Calendar ? t.Due.Time.TotalDays.ToString(CultureInfo.InvariantCulture) + " d" : t.Due.ToString())} for {Who(t.Assignee)}",
        Notify n => $"notify {Who(n.To)} \"{n.Subject}\"",
        StartProcess p => $"start process {p.Template}",
        AchieveGoal g => $"achieve {g.Goal}",
        AssignOwner { To.Kind: RecipientKind.StageManager } a => $"hand to the manager of {a.To.Name ?? "this stage"}",
        AssignOwner { To.Kind: RecipientKind.Team } r => $"round-robin in {r.To.Name}",
        AssignOwner u => $"hand to {u.To.Name}",
        _ => reaction.GetType().Name,
    };

    // The recipient as the snapshots name it (DealOwner, OwnerHead, or the user).
    private static string Who(Recipient recipient) => recipient.Name ?? recipient.Kind.ToString();
}
