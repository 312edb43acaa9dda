using Crm.Abstractions;
using Crm.Abstractions.Automation;
using Crm.Kernel.Automation;

namespace Crm.Kernel.Pipelines;

/// <summary>Checks a pipeline definition before it is stored; every problem is reported with its path.</summary>
internal static class PipelineValidation
{
    public static void Validate(PipelineDefinition? definition)
    {
        if (definition is null)
        {
            throw new CrmValidationException("pipeline", "a pipeline definition is required.");
        }

        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(definition.Name))
        {
            errors.Add(new("name", "a pipeline needs a name."));
        }

        if (definition.Stages is null || definition.Stages.Count == 0)
        {
            errors.Add(new("stages", "a pipeline needs at least one stage."));
            throw new CrmValidationException(errors);
        }

        var stageIds = new HashSet<StageId>();
        var goalIds = new HashSet<GoalId>();
        var unsorted = 0;
        for (var i = 0; i < definition.Stages.Count; i++)
        {
            var stage = definition.Stages[i];
            var path = $"stages[{i}]";
            if (stage is null)
            {
                errors.Add(new(path, "a stage cannot be null."));
                continue;
            }

            if (!stageIds.Add(stage.Id))
            {
                errors.Add(new(path + ".id", $"stage id '{stage.Id}' is used twice; stage ids are unique within a pipeline."));
            }

            if (string.IsNullOrWhiteSpace(stage.Name))
            {
                errors.Add(new(path + ".name", "a stage needs a name."));
            }

            if (stage.WinProbability is < 0m or > 1m)
            {
                errors.Add(new(path + ".winProbability", $"must be between 0 and 1; got {stage.WinProbability}."));
            }

            if (stage.Norm is { } norm && norm <= NodaTime.Duration.Zero)
            {
                errors.Add(new(path + ".norm", "a norm must be a positive duration."));
            }

            if (stage.IsUnsorted)
            {
                unsorted++;
                if (stage.Kind != StageKind.Open)
                {
                    errors.Add(new(path + ".isUnsorted", "the unsorted stage must be an open stage."));
                }
            }

            for (var g = 0; g < stage.Goals.Count; g++)
            {
                var goal = stage.Goals[g];
                var goalPath = $"{path}.goals[{g}]";
                if (!goalIds.Add(goal.Id))
                {
                    errors.Add(new(goalPath + ".id", $"goal id '{goal.Id}' is used twice; goal ids are unique within a pipeline."));
                }

                if (string.IsNullOrWhiteSpace(goal.Name))
                {
                    errors.Add(new(goalPath + ".name", "a goal needs a name."));
                }
            }
        }

        if (unsorted > 1)
        {
            errors.Add(new("stages", "a pipeline has at most one unsorted stage."));
        }

        if (!definition.Stages.Any(s => s is { Kind: StageKind.Open }))
        {
            errors.Add(new("stages", "a pipeline needs at least one open stage."));
        }

        // Reactions may only name stages and goals of this pipeline.
        for (var i = 0; i < definition.Stages.Count; i++)
        {
            var stage = definition.Stages[i];
            if (stage is null)
            {
                continue;
            }

            for (var g = 0; g < stage.Goals.Count; g++)
            {
                var reactions = stage.Goals[g].Reactions ?? [];
                for (var r = 0; r < reactions.Count; r++)
                {
                    var path = $"stages[{i}].goals[{g}].reactions[{r}]";
                    switch (reactions[r])
                    {
                        case null:
                            errors.Add(new(path, "a reaction cannot be null."));
                            break;
                        case MoveToStage move when !stageIds.Contains(move.Stage):
                            errors.Add(new(path + ".stage", $"unknown stage '{move.Stage}'."));
                            break;
                        case AssignOwner { To: { Kind: RecipientKind.StageManager, Name: { } s } } when !stageIds.Contains(new StageId(s)):
                            errors.Add(new(path + ".to", $"unknown stage '{s}'."));
                            break;
                        case AchieveGoal achieve when !goalIds.Contains(achieve.Goal):
                            errors.Add(new(path + ".goal", $"unknown goal '{achieve.Goal}'."));
                            break;
                        default:
                            AutomationValidation.Action(reactions[r], path, AutomationSite.Goal, errors);
                            break;
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }
    }
}
