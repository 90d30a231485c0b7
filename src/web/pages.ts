import fs from 'node:fs';
import path from 'node:path';
import express, { Request, Response } from 'express';

/** Where `vite build` (npm's prepare script, `npm run build:web`) puts the browser app. */
export const WEB_DIST = path.resolve(__dirname, '..', '..', 'dist', 'web');

/** The app's pages (history-mode routes of web/src/router.ts): each answers with the app's index.html. */
const PAGES = /^\/(login|operator|unit|supervisor|tickets(\/[A-Za-z0-9]+)?|knowledge|admin|audit|reports|assessment)?\/?$/;
/** Addresses of the first static pages, kept so old bookmarks land somewhere sensible. */
const MOVED: Record<string, string> = { '/wallboard.html': '/supervisor', '/welcome.html': '/', '/index.html': '/' };

const page = (title: string, body: string) =>
  `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} - 12345 政务服务便民热线</title>` +
  `<style>body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;background:#f0f2f5;color:#1f2d3d}main{max-width:560px;margin:15vh auto;text-align:center}a{color:#1b4f8c}</style>` +
  `</head><body><main><h1>${title}</h1>${body}</main></body></html>`;

export const NOT_FOUND_PAGE = page('页面不存在', '<p>您访问的页面不存在或已经移动。</p><p><a href="/">返回工作台</a></p>');
const NOT_BUILT_PAGE = page('页面尚未构建', '<p>浏览器端页面还没有构建。请在项目目录运行 <code>npm run build:web</code>（<code>npm ci</code> 会自动构建），然后刷新本页。</p>');

/**
 * Serves the browser app built from web/ (Vue + Element Plus): hashed assets with a long cache, and
 * index.html for every page route, so the one service is the only server (no second web server).
 */
export function mountWebApp(app: express.Express, dist = WEB_DIST) {
  app.use('/assets', express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '1y', fallthrough: true, index: false }));
  app.get(/.*/, (req: Request, res: Response, next) => {
    if (MOVED[req.path]) return res.redirect(302, MOVED[req.path]);
    if (!PAGES.test(req.path)) return next();
    const index = path.join(dist, 'index.html');
    res.setHeader('cache-control', 'no-cache');
    if (!fs.existsSync(index)) return res.status(503).type('html').send(NOT_BUILT_PAGE);
    return res.sendFile(index);
  });
  // Other files of the build (favicon and the like); missing ones fall through to the 404 below.
  app.use(express.static(dist, { index: false, maxAge: 0 }));
}

/** A page nobody has: a Chinese page for browsers; API clients keep their JSON 404. */
export function wantsPage(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/api/') && !!req.accepts(['json', 'html']) && req.accepts(['json', 'html']) === 'html';
}
