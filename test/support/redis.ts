import crypto from 'node:crypto';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for one test file, so files never see each other's keys or channels. */
export function testRedisPrefix(label = 't'): string {
  return `hltest:${label}:${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}:`;
}
