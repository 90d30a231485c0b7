import crypto from 'node:crypto';
import express, { NextFunction, Request, Response } from 'express';
import pinoHttp from 'pino-http';
import { Logger } from '../logging/logger';
import { AppError } from './errors';
import { Api } from './api';
import { HttpMetrics } from '../health/metrics';
import { NOT_FOUND_PAGE, mountWebApp, wantsPage } from '../web/pages';

function errorBody(id: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { id, message, details } };
}

/**
 * The express application: request ids, access logs, JSON parsing, the declared API routes,
 * and one error middleware that renders every failure as `{error:{id,message,details}}`.
 */
export function createHttpApp(opts: { api: Api; log: Logger; metrics: HttpMetrics; extra?: (app: express.Express) => void }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const id = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger: opts.log,
      genReqId: (_req, res) => String(res.locals.requestId),
      // Probes are polled every few seconds; logging each would drown the log.
      autoLogging: { ignore: (req) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? '') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug'),
      // Query strings can carry phone numbers or tokens: log the path only.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
      },
    }),
  );
  app.use((req, res, next) => {
    res.locals.log = (req as unknown as { log: Logger }).log;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      opts.metrics.observe(req.method, req.baseUrl + route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
  app.use(express.json({ limit: '2mb' }));
  app.use(express.urlencoded({ extended: false, limit: '256kb' }));

  opts.extra?.(app);
  app.use(opts.api.router);
  // The browser app (web/, built into dist/web): every role's workbench, on the same API.
  mountWebApp(app);

  app.use((req: Request, res: Response) => {
    if (wantsPage(req)) {
      res.status(404).type('html').send(NOT_FOUND_PAGE);
      return;
    }
    res.status(404).json(errorBody('route.not_found', 'No such route', { method: req.method, path: req.path }));
  });

  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const log = (res.locals.log as Logger | undefined) ?? opts.log;
    if (err instanceof AppError) {
      res.status(err.status).json(errorBody(err.id, err.message, err.details));
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e && e.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('request.malformed_json', 'The request body is not valid JSON'));
      return;
    }
    if (e && e.type === 'entity.too.large') {
      res.status(413).json(errorBody('request.too_large', 'The request body is too large'));
      return;
    }
    log.error({ err }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).json(errorBody('internal', 'Internal error', { requestId: res.locals.requestId }));
  });
  return app;
}
