import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LISTENING_PREFIX } from "../../server/app/serve.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A Planroom server running as a child process (`serve.ts`). */
export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** Everything the child printed. */
  output(): string;
  /** Kills the child with the signal and waits until it has exited (and been reaped). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `serve.ts` with the arguments (and `env` added to the environment) and resolves once it prints its URL. */
export function startChildServer(args: string[], timeoutMs = 20_000, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/app/serve.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "production", ...env } });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const line = output.split("\n").find((l) => l.startsWith(LISTENING_PREFIX));
      if (!line) return;
      clearTimeout(timer);
      resolve({
        url: line.slice(LISTENING_PREFIX.length).trim(),
        child,
        output: () => output,
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
}
