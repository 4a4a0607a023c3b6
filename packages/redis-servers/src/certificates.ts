import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files of a throwaway certificate authority and a server certificate it signed. */
export interface TestCertificates {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA certificate itself, for a client's `socket.ca`. */
  readonly ca: string;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/**
 * Makes a self-signed CA and a server certificate for 127.0.0.1 and localhost (EC P-256, valid
 * one day) with the `openssl` command, in a new temporary directory.
 */
export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "quorum-locks-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=quorum-locks test CA",
  ]);
  openssl(dir, [
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "1",
    "-extfile",
    "server.ext",
  ]);
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
    ca: readFileSync(join(dir, "ca.crt"), "utf8"),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
