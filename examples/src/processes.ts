import { spawn } from "node:child_process";

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
