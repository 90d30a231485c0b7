import client from 'prom-client';

/** The service's Prometheus registry: one per service instance (never the global default, so tests can run several). */
export function createMetricsRegistry(): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'hotline_' });
  return registry;
}

export class HttpMetrics {
  private readonly duration: client.Histogram<'method' | 'route' | 'status'>;

  constructor(registry: client.Registry) {
    this.duration = new client.Histogram({
      name: 'hotline_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  observe(method: string, route: string, status: number, seconds: number) {
    this.duration.observe({ method, route, status: String(status) }, seconds);
  }
}
