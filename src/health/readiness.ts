/** What /readyz reports for one dependency. */
export interface ComponentStatus {
  ok: boolean;
  state: string;
  details?: Record<string, unknown>;
}

export type ReadinessCheck = () => Promise<ComponentStatus> | ComponentStatus;

/**
 * Components register how to tell whether they are ready: the database, the live store, and
 * each Asterisk connection (AMI and ARI per server, with their connection state).
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck) {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 2000): Promise<{ ready: boolean; components: Record<string, ComponentStatus> }> {
    const components: Record<string, ComponentStatus> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          components[name] = await Promise.race([
            Promise.resolve(check()),
            new Promise<ComponentStatus>((resolve) => {
              timer = setTimeout(() => resolve({ ok: false, state: 'timeout' }), timeoutMs);
            }),
          ]);
        } catch (err) {
          components[name] = { ok: false, state: 'error', details: { message: (err as Error).message } };
        } finally {
          if (timer) clearTimeout(timer);
        }
      }),
    );
    return { ready: Object.values(components).every((c) => c.ok), components };
  }
}
