using BenchmarkDotNet.Attributes;
using Crm.Kernel.Processes;
using NodaTime;
using NodaTime.Testing;
using Stateless;

namespace Crm.Benchmarks.Processes;

/// <summary>
/// One process transition through the kernel's <see cref="ProcessMachine"/> (cached machine, lock, guard-free toggle
/// a ⇄ b) against a bare Stateless Fire on a machine built once, and against building + configuring a machine per call.
/// Goal: at least half the baseline's throughput and at most 2x its allocations.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ProcessTransitionBenchmarks
{
    private StateMachine<string, string> _bare = null!;
    private ProcessMachine _kernel = null!;
    private ProcessTemplate _template = null!;
    private ProcessInstanceState _instance = null!;
    private bool _forward;

    [GlobalSetup]
    public void Setup()
    {
        _bare = new StateMachine<string, string>("a");
        _bare.Configure("a").Permit("go", "b");
        _bare.Configure("b").Permit("back", "a");

        _template = ProcessTemplate.Create("toggle", 1, "Toggle")
            .Step("a", s => s.Permit("go", "b"))
            .Step("b", s => s.Permit("back", "a"))
            .Build();
        _kernel = new ProcessMachine(new FakeClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        _kernel.Register(_template);
        _instance = _kernel.Start("i-1", "toggle").Instance;
        _forward = true;
    }

    [Benchmark(Baseline = true, Description = "Stateless Fire, machine built once")]
    public string BareStatelessFire()
    {
        _bare.Fire(_forward ? "go" : "back");
        _forward = !_forward;
        return _bare.State;
    }

    [Benchmark(Description = "ProcessMachine.Fire, cached machine")]
    public string KernelFire()
    {
        var result = _kernel.Fire(_instance, _forward ? "go" : "back");
        _forward = !_forward;
        return result.Step;
    }

    [Benchmark(Description = "Build + configure + Fire per call")]
    public string BuildConfigureAndFire()
    {
        var instance = _instance;
        var machine = new StateMachine<string, string>(() => instance.CurrentStep, s => instance.CurrentStep = s);
        foreach (var step in _template.Steps)
        {
            var state = machine.Configure(step.Name);
            foreach (var t in step.Transitions)
            {
                state.Permit(t.Trigger, t.Target);
            }
        }

        machine.Fire(_forward ? "go" : "back");
        _forward = !_forward;
        return instance.CurrentStep;
    }
}
