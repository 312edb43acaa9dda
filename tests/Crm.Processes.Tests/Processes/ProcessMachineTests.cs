using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Processes.Templates;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Processes.Tests.Processes;

public sealed class ProcessMachineTests
{
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 3, 2, 8, 0));
    private readonly ProcessMachine _machine;

    public ProcessMachineTests()
    {
        _machine = new ProcessMachine(_clock);
        _machine.Register(ProcessTemplates.Delivery);
        _machine.Register(ProcessTemplates.ContractApproval);
    }

    [Fact]
    public void Delivery_runs_from_order_confirmed_to_documents_signed()
    {
        var start = _machine.Start("p-1", "delivery");
        var instance = start.Instance;
        Assert.Equal("orderConfirmed", start.Step);
        Assert.Contains(start.Actions, a => a is CreateTask { Assignee: { Kind: RecipientKind.Role, Name: "logistics" } });

        _clock.AdvanceHours(1);
        var picking = _machine.Fire(instance, "startPicking");
        Assert.Equal(new TransitionResult(instance, "orderConfirmed", "startPicking", "picking", ProcessTemplates.Delivery.GetStep("picking").OnEntry, ProcessStatus.Running), picking);
        Assert.Equal(_clock.GetCurrentInstant(), instance.StepEnteredAt);

        _machine.Fire(instance, "picked");
        var delivered = _machine.Fire(instance, "delivered");
        Assert.Contains(delivered.Actions, a => a is WaitForEvent { EventType: "DeliveryDocumentsSigned", Trigger: "documentsSigned" });

        var done = _machine.Fire(instance, "documentsSigned");
        Assert.Equal("documentsSigned", instance.CurrentStep);
        Assert.Equal(ProcessStatus.Completed, done.Status);
        Assert.Equal(ProcessStatus.Completed, instance.Status);
        Assert.Empty(_machine.PermittedTriggers(instance));
        Assert.Throws<InvalidStateException>(() => _machine.Fire(instance, "picked"));
    }

    [Fact]
    public void Contract_rejections_loop_back_to_draft()
    {
        var instance = _machine.Start("c-1", "contract-approval").Instance;
        _machine.Fire(instance, "submit");
        Assert.Equal("draft", _machine.Fire(instance, "reject").Step);
        _machine.Fire(instance, "submit");
        _machine.Fire(instance, "approve");
        Assert.Equal("headApproval", instance.CurrentStep);
        Assert.Equal("draft", _machine.Fire(instance, "reject").Step);
        _machine.Fire(instance, "submit");
        _machine.Fire(instance, "approve");
        Assert.Equal("signed", _machine.Fire(instance, "approve").Step);
        Assert.Equal(ProcessStatus.Completed, instance.Status);
    }

    [Fact]
    public void A_trigger_not_permitted_is_rejected_with_the_permitted_ones_and_the_instance_is_unchanged()
    {
        var instance = _machine.Start("c-2", "contract-approval").Instance;
        _machine.Fire(instance, "submit");
        var entered = instance.StepEnteredAt;

        var ex = Assert.Throws<InvalidStateException>(() => _machine.Fire(instance, "sign"));
        Assert.Equal(
            "Trigger 'sign' is not permitted in step 'legalReview' of process 'contract-approval' v1. Permitted now: 'approve', 'reject'.",
            ex.Message);
        Assert.Equal("legalReview", instance.CurrentStep);
        Assert.Equal(entered, instance.StepEnteredAt);
        Assert.Equal(["approve", "reject"], _machine.PermittedTriggers(instance));
    }

    [Fact]
    public void Guards_are_evaluated_against_the_instance_variables()
    {
        _machine.Register(ProcessTemplateJsonTests.GuardedTemplate());
        var small = _machine.Start("d-1", "discount", new Dictionary<string, string> { ["size"] = "small" }).Instance;
        var large = _machine.Start("d-2", "discount", new Dictionary<string, string> { ["size"] = "large" }).Instance;
        var special = _machine.Start("d-3", "discount", new Dictionary<string, string> { ["size"] = "small", ["special"] = "yes" }).Instance;

        Assert.Equal("autoApproved", _machine.Fire(small, "submit").Step);
        Assert.Equal("headReview", _machine.Fire(large, "submit").Step);
        Assert.Equal("headReview", _machine.Fire(special, "submit").Step);
    }

    [Fact]
    public void A_code_guard_that_fails_names_itself_in_the_error()
    {
        _machine.Register(ProcessTemplate.Create("gate", 1, "Gate")
            .Step("closed", s => s.PermitIf("open", "open", v => v.ContainsKey("key"), "has a key"))
            .FinalStep("open")
            .Build());
        var instance = _machine.Start("g-1", "gate").Instance;

        Assert.Empty(_machine.PermittedTriggers(instance));
        var ex = Assert.Throws<InvalidStateException>(() => _machine.Fire(instance, "open"));
        Assert.Contains("guard not met: has a key", ex.Message);

        instance.Variables["key"] = "brass";
        Assert.Equal(["open"], _machine.PermittedTriggers(instance));
        Assert.Equal("open", _machine.Fire(instance, "open").Step);
    }

    [Fact]
    public void Running_instances_keep_the_version_they_started_with()
    {
        _machine.Register(Versioned(1));
        var onV1 = _machine.Start("v-1", "versioned").Instance;
        _machine.Register(Versioned(2));
        var onV2 = _machine.Start("v-2", "versioned").Instance;

        Assert.Equal(1, onV1.TemplateVersion);
        Assert.Equal(2, onV2.TemplateVersion);
        Assert.Equal("done", _machine.Fire(onV1, "next").Step);
        Assert.Equal("check", _machine.Fire(onV2, "next").Step);
        Assert.Equal(2, _machine.Cache.Count);
        Assert.Same(_machine.GetTemplate("versioned", 1), _machine.Cache.Find("versioned", 1)!.Template);
        Assert.Equal(2, _machine.GetLatestTemplate("versioned").Version);
    }

    [Fact]
    public void The_machine_is_configured_once_per_template_version()
    {
        _machine.Register(Versioned(1));
        _machine.Register(Versioned(2));
        for (var i = 0; i < 50; i++)
        {
            var instance = _machine.Start($"a-{i}", "contract-approval").Instance;
            _machine.Fire(instance, "submit");
            _machine.Fire(instance, "reject");
            var v2 = _machine.Start($"v-{i}", "versioned").Instance;
            _machine.Fire(v2, "next");
        }

        var v1 = new ProcessInstanceState { Id = "old", TemplateId = "versioned", TemplateVersion = 1, CurrentStep = "start" };
        _machine.Fire(v1, "next");

        Assert.Equal(3, _machine.Cache.Configurations);
    }

    [Fact]
    public void Concurrent_fires_on_one_cached_machine_keep_instances_apart()
    {
        var instances = Enumerable.Range(0, 200).Select(i =>
        {
            var instance = _machine.Start($"p-{i}", "contract-approval").Instance;
            return instance;
        }).ToArray();

        Parallel.ForEach(instances, instance =>
        {
            for (var round = 0; round < 20; round++)
            {
                _machine.Fire(instance, "submit");
                _machine.Fire(instance, "reject");
            }

            _machine.Fire(instance, "submit");
        });

        Assert.All(instances, i => Assert.Equal("legalReview", i.CurrentStep));
        Assert.Equal(1, _machine.Cache.Configurations);
    }

    [Fact]
    public void Registering_different_content_under_an_existing_version_is_refused()
    {
        _machine.Register(Versioned(1));
        _machine.Register(Versioned(1)); // equal: harmless
        var changed = ProcessTemplate.Create("versioned", 1, "Versioned").Step("start", s => s.Permit("go", "end")).FinalStep("end").Build();
        Assert.Throws<InvalidStateException>(() => _machine.Register(changed));
    }

    [Fact]
    public void Unknown_template_versions_and_cancelled_instances_are_reported()
    {
        var orphan = new ProcessInstanceState { Id = "x", TemplateId = "nope", TemplateVersion = 3, CurrentStep = "a" };
        var notFound = Assert.Throws<EntityNotFoundException>(() => _machine.Fire(orphan, "go"));
        Assert.Equal("nope v3", notFound.Id);

        var instance = _machine.Start("c-9", "contract-approval").Instance;
        _machine.Cancel(instance);
        Assert.Equal(ProcessStatus.Cancelled, instance.Status);
        Assert.Contains("cancelled", Assert.Throws<InvalidStateException>(() => _machine.Fire(instance, "submit")).Message);
        Assert.Throws<ArgumentNullException>(() => new ProcessMachine(null!));
    }

    [Fact]
    public void Step_schedule_places_deadline_and_reminders_in_business_time()
    {
        var calendar = new Crm.Kernel.Scheduling.BusinessCalendar(new Crm.Kernel.Scheduling.BusinessCalendarOptions
        {
            TimeZone = DateTimeZoneProviders.Tzdb["Europe/Oslo"],
        });
        var entered = Instant.FromUtc(2026, 3, 6, 9, 0); // Friday 10:00 Oslo
        var schedule = ProcessTemplates.Delivery.GetStep("delivered").Schedule(entered, calendar);

        Assert.Equal(Instant.FromUtc(2026, 3, 13, 9, 0), schedule.Deadline); // 5 working days later, 10:00
        Assert.Equal([Instant.FromUtc(2026, 3, 11, 9, 0), Instant.FromUtc(2026, 3, 12, 9, 0)], schedule.Reminders);
        Assert.True(schedule.EscalateToHeadAtDeadline);
    }

    private static ProcessTemplate Versioned(int version)
    {
        var builder = ProcessTemplate.Create("versioned", version, "Versioned");
        return version == 1
            ? builder.Step("start", s => s.Permit("next", "done")).FinalStep("done").Build()
            : builder.Step("start", s => s.Permit("next", "check")).Step("check", s => s.Permit("next", "done")).FinalStep("done").Build();
    }
}
