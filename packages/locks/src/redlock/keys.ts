/**
 * A key derived from a resource key, in the same Redis Cluster hash slot: the resource's own
 * hash tag is kept when it has one, otherwise the whole resource name becomes the tag.
 */
export function derivedKey(resource: string, suffix: string): string {
  const open = resource.indexOf("{");
  if (open !== -1) {
    const close = resource.indexOf("}", open + 1);
    if (close > open + 1) return `${resource}:${suffix}`;
  }
  return `{${resource}}:${suffix}`;
}

/** The queue and lease sets of a fair lock on `resource`. */
export function fairQueueKeys(resource: string): [queue: string, leases: string] {
  return [derivedKey(resource, "fair-queue"), derivedKey(resource, "fair-leases")];
}
