import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * The `planroom` process from its sources (`planroom-main.ts` through tsx): the tests check the
 * sources as they are, never a `dist/` build that may be older (the built bin has its own test,
 * `test/package/packed-install.test.ts`).
 */
export const PLANROOM_ARGS = ["--import", "tsx", fileURLToPath(new URL("../../client/cli/planroom-main.ts", import.meta.url))];

/** What a finished `planroom` process left behind. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `planroom args…` as a child process with `env` added (no TTY: plain output). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...PLANROOM_ARGS, ...args], { env: { ...process.env, PLANROOM_URL: "", PLANROOM_TOKEN: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`planroom ${args.join(" ")} did not end within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `planroom args…` and resolves once its stdout matches `ready` (for long-running commands). */
export function startCli(args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 30_000): Promise<{ child: ChildProcess; output: () => string; ended: Promise<CliRun> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...PLANROOM_ARGS, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let started = false;
    const ended = new Promise<CliRun>((done) => child.on("close", (code) => done({ code, stdout, stderr })));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`planroom ${args.join(" ")} printed nothing matching ${ready} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!started && ready.test(stdout)) {
        started = true;
        clearTimeout(timer);
        resolve({ child, output: () => stdout, ended });
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  });
}
