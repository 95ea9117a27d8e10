import { open, readFile, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PlanroomError } from "../../../shared/index.js";

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data directory's `LOCK` file (holding the owner's pid) so that two processes, or two
 * stores in one process, never append to the same logs. A lock left by a dead process is taken over.
 * Throws `CONFLICT` when the directory is in use. Returns the function that releases it.
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(resolve(dir), "LOCK");
  if (heldHere.has(path)) throw new PlanroomError("CONFLICT", `data directory ${dir} is already open in this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new PlanroomError("CONFLICT", `data directory ${dir} is in use by process ${pid}`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
  heldHere.add(path);
  return async () => {
    heldHere.delete(path);
    await unlink(path).catch(() => undefined);
  };
}
