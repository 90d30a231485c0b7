import crypto from 'node:crypto';

/**
 * Requests between centres are signed (issue #14: HMAC over the body with a per-centre key): the
 * signature covers the sending centre, a timestamp and the exact body bytes, so a fact cannot be
 * altered, attributed to another county, or replayed after the allowed clock skew.
 */
export const CENTRE_HEADER = 'x-hotline-centre';
export const TIMESTAMP_HEADER = 'x-hotline-timestamp';
export const SIGNATURE_HEADER = 'x-hotline-signature';
/** Largest clock difference between two centres' machines accepted (ms). */
export const MAX_SKEW_MS = 5 * 60_000;

export function signature(key: string, centre: string, timestamp: string, body: string | Buffer): string {
  return 'sha256=' + crypto.createHmac('sha256', key).update(`${centre}\n${timestamp}\n`).update(body).digest('hex');
}

/** The headers of a signed request from `centre`. */
export function signedHeaders(key: string, centre: string, body: string, now = Date.now()): Record<string, string> {
  const ts = String(now);
  return { 'content-type': 'application/json', [CENTRE_HEADER]: centre, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signature(key, centre, ts, body) };
}

/** Whether a request's signature is the one `key` makes for its centre, time and body, within the skew. */
export function verifySignature(key: string, centre: string, timestamp: string | undefined, sig: string | undefined, body: Buffer, now = Date.now()): boolean {
  if (!timestamp || !sig || !/^\d{10,16}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) return false;
  const want = Buffer.from(signature(key, centre, timestamp, body));
  const got = Buffer.from(sig);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}
