using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Pipelines;
using Crm.Kernel.Processes;
using Crm.Kernel.Reports;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;

namespace Crm.Kernel.Methodologies;

/// <summary>A methodology whose JSON documents were read and checked, ready to install into any tenant.</summary>
internal sealed record PreparedMethodology(
    SalesMethodology Methodology,
    IReadOnlyList<ProcessTemplate> Templates,
    IReadOnlyList<(RuleDefinition Rule, string Json)> Rules,
    IReadOnlyList<(ReportDefinition Definition, string Json)> Presets)
{
    private static readonly JsonSerializerOptions PresetOptions = new(CrmJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = false,
    };

    public string Id => Methodology.Id;

    /// <summary>The report preset JSON as the kernel stores it (normalized).</summary>
    public static string WritePreset(ReportDefinition definition) => JsonSerializer.Serialize(definition, PresetOptions);

    public static ReportDefinition ReadPreset(string json) =>
        JsonSerializer.Deserialize<ReportDefinition>(json, PresetOptions) ?? throw new JsonException("the JSON is null; expected a report definition object.");

    /// <summary>
    /// Reads and checks every part of <paramref name="methodology"/>: pipelines, templates (also against the templates
    /// already registered in <paramref name="registry"/>), rules, report presets, classifier values and references
    /// between them. All problems are reported together.
    /// </summary>
    /// <exception cref="MethodologyValidationException">Something is invalid; nothing is prepared.</exception>
    public static PreparedMethodology Prepare(SalesMethodology methodology, ProcessMachine registry)
    {
        ArgumentNullException.ThrowIfNull(methodology);
        var root = $"methodologies[{methodology.Id}]";
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(methodology.Id) || methodology.Id.Any(char.IsWhiteSpace))
        {
            errors.Add(new(root + ".id", "a methodology id without spaces is required, e.g. 'spin'."));
        }

        if (string.IsNullOrWhiteSpace(methodology.Name))
        {
            errors.Add(new(root + ".name", "a methodology needs a name."));
        }

        var pipelines = methodology.Pipelines ?? [];
        var pipelineIds = new HashSet<PipelineId>();
        for (var i = 0; i < pipelines.Count; i++)
        {
            var pipeline = pipelines[i];
            var path = $"{root}.pipelines[{pipeline?.Id.Value ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
            try
            {
                PipelineValidation.Validate(pipeline);
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(e.Errors.Select(x => new ValidationError(path + "." + x.Field, x.Message)));
                continue;
            }

            if (!pipelineIds.Add(pipeline!.Id))
            {
                errors.Add(new(path, "the methodology defines this pipeline twice."));
            }
        }

        var templates = new List<ProcessTemplate>();
        var paths = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        foreach (var (document, path) in Documents(methodology.ProcessTemplates, root + ".processTemplates", errors))
        {
            try
            {
                var template = ProcessTemplateJson.Load(document.Json);
                if (templates.Any(t => t.Id == template.Id && t.Version == template.Version))
                {
                    errors.Add(new(path + ".id", $"template '{template.Id}' v{template.Version} is shipped twice."));
                }
                else if (registry.FindTemplate(template.Id, template.Version) is { } registered && !registered.Equals(template))
                {
                    errors.Add(new(path + ".id", $"template '{template.Id}' v{template.Version} is already registered in this kernel with different content (template ids are kernel-wide); prefix the id with the methodology's id or raise its version."));
                }
                else
                {
                    templates.Add(template);
                    paths[template] = path;
                }
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(Nest(path, e));
            }
        }

        var rules = new List<(RuleDefinition, string)>();
        foreach (var (document, path) in Documents(methodology.Rules, root + ".rules", errors))
        {
            try
            {
                var rule = RuleJson.Load(document.Json);
                if (rules.Any(r => r.Item1.Id == rule.Id))
                {
                    errors.Add(new(path + ".id", $"rule '{rule.Id}' is shipped twice."));
                }
                else
                {
                    rules.Add((rule, RuleJson.Write(rule)));
                    paths[rule] = path;
                }
            }
            catch (CrmValidationException e)
            {
                errors.AddRange(Nest(path, e));
            }
        }

        var presets = new List<(ReportDefinition, string)>();
        foreach (var (document, path) in Documents(methodology.ReportPresets, root + ".reportPresets", errors))
        {
            ReportDefinition preset;
            try
            {
                preset = ReadPreset(document.Json);
            }
            catch (JsonException e)
            {
                errors.Add(new(path + Relative(e.Path ?? "$"), "the JSON cannot be read as a report definition: " + e.Message.Split(" Path:")[0]));
                continue;
            }

            var before = errors.Count;
            if (string.IsNullOrWhiteSpace(preset.Name))
            {
                errors.Add(new(path + ".name", "a report preset needs a name."));
            }

            if (preset.Measures is null || preset.Measures.Count == 0)
            {
                errors.Add(new(path + ".measures", "name at least one measure (Count, Sum, Average, Median, Conversion)."));
            }

            if (preset.Currency is not { Length: 3 })
            {
                errors.Add(new(path + ".currency", $"a three-letter currency code is required; got '{preset.Currency}'."));
            }

            if (preset.GroupBy is null)
            {
                errors.Add(new(path + ".groupBy", "list the dimensions to group by (an empty list for one total)."));
            }

            if (errors.Count == before)
            {
                presets.Add((preset, WritePreset(preset)));
            }
        }

        var classifiers = CheckClassifiers(methodology.Classifiers ?? [], root, errors);
        CheckReferences(methodology, root, templates, rules.Select(r => r.Item1).ToArray(), paths, classifiers, registry, errors);
        if (errors.Count > 0)
        {
            throw new MethodologyValidationException(methodology.Id ?? "", errors);
        }

        return new PreparedMethodology(methodology, templates, rules, presets);
    }

    private static IEnumerable<(MethodologyDocument Document, string Path)> Documents(IReadOnlyList<MethodologyDocument>? documents, string root, List<ValidationError> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (documents?.Count ?? 0); i++)
        {
            var document = documents![i];
            if (document is null || string.IsNullOrWhiteSpace(document.Name) || document.Json is null)
            {
                errors.Add(new($"{root}[{i}]", "a document needs a name and JSON text."));
                continue;
            }

            if (!names.Add(document.Name))
            {
                errors.Add(new($"{root}[{document.Name}]", "two documents have this name."));
                continue;
            }

            yield return (document, $"{root}[{document.Name}]");
        }
    }

    private static IEnumerable<ValidationError> Nest(string path, CrmValidationException e) =>
        e.Errors.Select(x => new ValidationError(path + Relative(x.Field), x.Message));

    // "$.steps[1].target" → ".steps[1].target"; "$" → "".
    private static string Relative(string jsonPath) =>
        jsonPath.StartsWith('$') ? jsonPath[1..] : "." + jsonPath;

    private static Dictionary<string, ClientClassifierDefinition> CheckClassifiers(IReadOnlyList<ClientClassifierDefinition> classifiers, string root, List<ValidationError> errors)
    {
        var byName = new Dictionary<string, ClientClassifierDefinition>(StringComparer.Ordinal);
        for (var i = 0; i < classifiers.Count; i++)
        {
            var classifier = classifiers[i];
            var path = $"{root}.classifiers[{i}]";
            if (classifier is null || string.IsNullOrWhiteSpace(classifier.Name))
            {
                errors.Add(new(path + ".name", "a classifier needs a name."));
            }
            else if (classifier.AllowedValues is null || classifier.AllowedValues.Count == 0 || classifier.AllowedValues.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add(new(path + ".allowedValues", $"list the values classifier '{classifier.Name}' may take (none blank)."));
            }
            else if (!byName.TryAdd(classifier.Name, classifier))
            {
                errors.Add(new(path + ".name", $"classifier '{classifier.Name}' is declared twice."));
            }
        }

        return byName;
    }

    private static void CheckReferences(SalesMethodology methodology, string root, IReadOnlyList<ProcessTemplate> templates, IReadOnlyList<RuleDefinition> rules,
        Dictionary<object, string> paths, Dictionary<string, ClientClassifierDefinition> classifiers, ProcessMachine registry, List<ValidationError> errors)
    {
        var templateIds = templates.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        bool KnownTemplate(string id) => templateIds.Contains(id) || registry.Templates.Any(t => t.Id == id);

        void CheckClassifier(string name, string? value, string path)
        {
            if (classifiers.TryGetValue(name, out var classifier) && (value is null || !classifier.AllowedValues.Contains(value, StringComparer.Ordinal)))
            {
                errors.Add(new(path + ".value", $"'{value}' is not an allowed value of classifier '{name}'; allowed: {string.Join(", ", classifier.AllowedValues)}."));
            }
        }

        var stages = new HashSet<StageId>();
        // One check for goal reactions, process actions and rule actions (the one action model).
        void CheckAction(AutomationAction action, string path, bool checkStage)
        {
            switch (action)
            {
                case StartProcess p when !string.IsNullOrWhiteSpace(p.Template) && !KnownTemplate(p.Template):
                    errors.Add(new(path + ".template", $"no process template '{p.Template}' is shipped by the methodology or registered in the kernel."));
                    break;
                case MoveToStage m when checkStage && !stages.Contains(m.Stage):
                    errors.Add(new(path + ".stage", $"no pipeline of the methodology has a stage '{m.Stage}'."));
                    break;
                case SetField { Field: { } field } c when field.StartsWith("client.classifier.", StringComparison.Ordinal) && field.Length > "client.classifier.".Length:
                    CheckClassifier(field["client.classifier.".Length..], c.Value, path);
                    break;
            }
        }

        foreach (var pipeline in methodology.Pipelines ?? [])
        {
            if (pipeline?.Stages is null)
            {
                continue;
            }

            for (var s = 0; s < pipeline.Stages.Count; s++)
            {
                var stage = pipeline.Stages[s];
                stages.Add(stage.Id);
                for (var g = 0; g < stage.Goals.Count; g++)
                {
                    for (var r = 0; r < stage.Goals[g].Reactions.Count; r++)
                    {
                        var path = $"{root}.pipelines[{pipeline.Id}].stages[{s}].goals[{g}].reactions[{r}]";
                        CheckAction(stage.Goals[g].Reactions[r], path, false);
                    }
                }
            }
        }

        foreach (var template in templates)
        {
            for (var s = 0; s < template.Steps.Count; s++)
            {
                for (var a = 0; a < template.Steps[s].OnEntry.Count; a++)
                {
                    var path = $"{paths[template]}.steps[{s}].onEntry[{a}]";
                    CheckAction(template.Steps[s].OnEntry[a], path, false);
                }
            }
        }

        foreach (var rule in rules)
        {
            var rulePath = paths[rule];
            var actions = rule.Actions.Select((a, i) => (Action: a, Path: $"{rulePath}.actions[{i}]"))
                .Concat(rule.Scheduled.Select((s, i) => (s.Action, Path: $"{rulePath}.scheduled[{i}].action")));
            foreach (var (action, path) in actions)
            {
                CheckAction(action, path, true);
            }
        }
    }
}
