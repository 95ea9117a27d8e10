/**
 * `npm run bench:executor`: the executor against p-graph and a minimal Kahn scheduler (the floor)
 * on DAGs of no-op async tools, 10k and 100k steps, three shapes, 16 steps at a time.
 */
import { PGraph } from "p-graph";
import { ExecutionPlan } from "../shared/index.js";
import { Executor } from "../server/index.js";
import { buildGraph, GRAPH_SHAPES, type GraphNode, type GraphShape } from "./executor-graphs.js";
import { runKahn } from "./executor-kahn.js";

const CONCURRENCY = 16;
const SIZES = [10_000, 100_000];
const noop = async (): Promise<void> => {};


function planOf(nodes: readonly GraphNode[]): ExecutionPlan {
  const plan = new ExecutionPlan("benchmark", { options: { requireApproval: false, allowParallel: true, maxParallelSteps: CONCURRENCY } });
  for (const node of nodes) plan.addStep("noop", "", {}, { id: node.id, dependsOn: node.dependsOn });
  return plan;
}

async function timeExecutor(nodes: readonly GraphNode[]): Promise<number> {
  const plan = planOf(nodes); // building the plan is not timed
  const executor = new Executor({ noop });
  const start = performance.now();
  const done = await executor.execute(plan);
  const ms = performance.now() - start;
  if (done.status !== "completed") throw new Error(`executor run ended ${done.status}`);
  return ms;
}

async function timePGraph(nodes: readonly GraphNode[]): Promise<number> {
  const start = performance.now();
  const map = new Map(nodes.map((node) => [node.id, { run: noop }]));
  const edges: [string, string][] = [];
  for (const node of nodes) for (const dep of node.dependsOn) edges.push([dep, node.id]);
  await new PGraph(map, edges).run({ concurrency: CONCURRENCY });
  return performance.now() - start;
}

async function timeKahn(nodes: readonly GraphNode[]): Promise<number> {
  const start = performance.now();
  await runKahn(nodes, CONCURRENCY, noop);
  return performance.now() - start;
}

/** The best of several runs: the least disturbed by other work on the machine. */
function best(values: number[]): number {
  return Math.min(...values);
}

interface Row {
  shape: GraphShape;
  size: number;
  executor: number;
  kahn: number;
  pgraph: number;
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const ratio = (x: number): string => `${x.toFixed(x >= 10 ? 0 : 2)}×`;

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  // Warm up every contender once so that the first measured run is not the JIT's.
  const warm = buildGraph("random", 5_000);
  for (let i = 0; i < 3; i++) {
    await timeExecutor(warm);
    await timeKahn(warm);
    await timePGraph(warm);
  }
  const rows: Row[] = [];
  for (const size of SIZES) {
    for (const shape of GRAPH_SHAPES) {
      const nodes = buildGraph(shape, size);
      // The contenders take turns, so that each sees the machine in the same state.
      const times = { executor: [] as number[], kahn: [] as number[], pgraph: [] as number[] };
      const pgraphRuns = size >= 100_000 ? Math.min(runs, 3) : runs;
      for (let r = 0; r < runs; r++) {
        times.kahn.push(await timeKahn(nodes));
        times.executor.push(await timeExecutor(nodes));
        if (r < pgraphRuns) times.pgraph.push(await timePGraph(nodes));
      }
      const [executor, kahn, pgraph] = [best(times.executor), best(times.kahn), best(times.pgraph)];
      rows.push({ shape, size, executor, kahn, pgraph });
      process.stderr.write(`measured ${shape} ${size}\n`);
    }
  }

  const lines = [
    `| shape | steps | executor (ms) | Kahn floor (ms) | p-graph (ms) | executor / floor | p-graph / executor | p-graph / floor | executor 100k / 10k | floor 100k / 10k |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ];
  const failures: string[] = [];
  for (const row of rows) {
    const small = rows.find((r) => r.shape === row.shape && r.size === SIZES[0]);
    const large = row.size === SIZES[1] && small !== undefined;
    const growth = large ? row.executor / small.executor : undefined;
    const floorGrowth = large ? row.kahn / small.kahn : undefined;
    lines.push(
      `| ${row.shape} | ${row.size.toLocaleString("en-US")} | ${fmt(row.executor)} | ${fmt(row.kahn)} | ${fmt(row.pgraph)} | ${ratio(row.executor / row.kahn)} | ${ratio(row.pgraph / row.executor)} | ${ratio(row.pgraph / row.kahn)} | ${growth === undefined ? "" : ratio(growth)} | ${floorGrowth === undefined ? "" : ratio(floorGrowth)} |`,
    );
    if (row.size === SIZES[1]) {
      if (row.executor > 3 * row.kahn) failures.push(`${row.shape}: ${ratio(row.executor / row.kahn)} the floor (target ≤ 3×)`);
      if (row.pgraph < 20 * row.executor) failures.push(`${row.shape}: ${ratio(row.pgraph / row.executor)} faster than p-graph (target ≥ 20×; the floor itself is ${ratio(row.pgraph / row.kahn)} faster)`);
      if (growth !== undefined && growth > 12) failures.push(`${row.shape}: 100k cost ${ratio(growth)} of 10k (target ≤ 12×; the floor's own growth is ${ratio(floorGrowth ?? 0)})`);
    }
  }
  console.log(`Executor benchmark: no-op async tools, maxParallelSteps ${CONCURRENCY}, best of ${runs} runs (p-graph at 100k: ${Math.min(runs, 3)}), Node ${process.version}\n`);
  console.log(lines.join("\n"));
  console.log(failures.length === 0 ? "\nAll targets met." : `\nTargets missed:\n- ${failures.join("\n- ")}`);
  if (failures.length > 0) process.exitCode = 1;
}

await main();
