import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Runs a TypeScript file of the examples in its own Node.js process, echoing its output. */
export function runProcess(file: URL, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file.pathname], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, ...env },
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${file.pathname} exited with ${code ?? signal}`));
    });
  });
}

/**
 * Starts a TypeScript file of the examples in its own process and hands each line it prints to
 * `onLine` (which echoes it, or not). `exited` resolves with the exit code, or the signal's name.
 */
export function startProcess(
  file: URL,
  env: Record<string, string>,
  onLine: (line: string) => void,
): { child: ChildProcess; exited: Promise<number | string> } {
  const child = spawn(process.execPath, ["--import", "tsx", file.pathname], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  createInterface({ input: child.stdout }).on("line", onLine);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? signal ?? "unknown");
    });
  });
  return { child, exited };
}

/** Reads a required environment variable of a worker process. */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}
