import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
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
    res.status(404).json(errorBody('route.not_found', '请求的接口不存在', { method: req.method, path: req.path }));
  });

  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const log = (res.locals.log as Logger | undefined) ?? opts.log;
    if (res.headersSent) {
      log.error({ err }, 'error after the response started');
      res.end();
      return;
    }
    if (err instanceof AppError) {
      res.status(err.status).json(errorBody(err.id, err.message, err.details));
      return;
    }
    const e = err as { type?: string; status?: number; message?: string; code?: unknown };
    if (e && e.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('request.malformed_json', '请求体不是有效的 JSON'));
      return;
    }
    if (e && e.type === 'entity.too.large') {
      res.status(413).json(errorBody('request.too_large', '请求体过大'));
      return;
    }
    if (e && (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported')) {
      res.status(415).json(errorBody('request.unsupported_media_type', '请求体的字符集或压缩方式不受支持'));
      return;
    }
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      // body-parser and express refusals (aborted request, bad length …): the client's fault, said as such.
      res.status(e.status).json(errorBody('request.invalid', '请求无效', { reason: e.type ?? null }));
      return;
    }
    if (isPgDataException(err)) {
      // A value the schemas let through but PostgreSQL refused (SQLSTATE class 22: out of range,
      // bad text representation, NUL byte …). The input is at fault, not the service; still logged,
      // because a schema should have caught it first.
      log.warn({ err, sqlstate: e.code }, 'database refused a request value');
      res.status(400).json(errorBody('request.invalid', '请求中的数值或文本超出允许范围', { sqlstate: e.code, requestId: res.locals.requestId }));
      return;
    }
    if ((e as { code?: unknown } | null)?.code === '23503') {
      // foreign_key_violation: the request names a record that does not exist (an id the route did
      // not check itself). Nothing was stored (the statement failed); logged so the route gets a check.
      log.warn({ err, sqlstate: e.code }, 'request referred to a missing record');
      res.status(422).json(errorBody('request.unknown_reference', '请求引用的记录不存在', { sqlstate: e.code, requestId: res.locals.requestId }));
      return;
    }
    log.error({ err }, 'unhandled error');
    res.status(500).json(errorBody('internal', '服务器内部错误', { requestId: res.locals.requestId }));
  });
  return app;
}

/** PostgreSQL "data exception" errors (SQLSTATE class 22), from pg or PGlite. */
export function isPgDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** Longest request head (request line and headers) the server reads: room for a long search in the URL. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Requests Node's HTTP parser refuses before express sees them (head larger than MAX_HEADER_BYTES,
 * malformed request line …) get the same JSON error body as every other refusal instead of Node's
 * bare status line with an empty body.
 */
export function answerClientErrors(server: http.Server, log: Logger) {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: net.Socket) => {
    if (!socket.writable || (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    if (err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, body] = tooLarge
      ? [431, 'Request Header Fields Too Large', errorBody('request.too_large', `请求地址或请求头过长（上限 ${MAX_HEADER_BYTES / 1024} KB），请缩短查询内容`, { limitBytes: MAX_HEADER_BYTES })]
      : [400, 'Bad Request', errorBody('request.malformed', '请求格式错误', { code: err.code ?? null })];
    log.warn({ code: err.code, status }, 'request refused by the HTTP parser');
    const json = JSON.stringify(body);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
  });
}
