/** Prefix of the pub/sub channel on which a resource's release is announced. */
export const RELEASE_CHANNEL_PREFIX = "quorum-locks:released:";

export function releaseChannel(resource: string): string {
  return RELEASE_CHANNEL_PREFIX + resource;
}
