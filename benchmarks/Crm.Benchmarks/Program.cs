using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point: pick suites with <c>--filter</c>.</summary>
public sealed partial class Program;
