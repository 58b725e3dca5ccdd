/**
 * The dashboard's files (HTML, CSS, browser JavaScript under ./static/), served by the streams HTTP server at `/` and
 * `/assets/*`. Self-contained: no CDN, no web fonts; the page fetches only `api/topology`, `api/status` and
 * `api/metrics` from the same server.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * One file of the dashboard: its `Content-Type` header value and its bytes.
 *
 * @example
 * ```ts
 * const asset: DashboardAsset = { contentType: 'text/css; charset=utf-8', body: Buffer.from('body {}') };
 * ```
 */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

const STATIC_DIR = new URL('./static/', import.meta.url);

/** URL path -> file under ./static/ and its type. Only these are served: a path is never joined onto the folder. */
const FILES: ReadonlyMap<string, { readonly file: string; readonly contentType: string }> = new Map([
  ['/', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/assets/app.js', { file: 'app.js', contentType: 'text/javascript; charset=utf-8' }],
  ['/assets/graph.js', { file: 'graph.js', contentType: 'text/javascript; charset=utf-8' }],
  ['/assets/layout.js', { file: 'layout.js', contentType: 'text/javascript; charset=utf-8' }],
  ['/assets/live.js', { file: 'live.js', contentType: 'text/javascript; charset=utf-8' }],
  ['/assets/style.css', { file: 'style.css', contentType: 'text/css; charset=utf-8' }],
]);

let loaded: ReadonlyMap<string, DashboardAsset> | null = null;

/** Reads every file once, at the first request (they ship with the package and never change while it runs). */
function assets(): ReadonlyMap<string, DashboardAsset> {
  if (loaded === null) {
    const byFile = new Map<string, Buffer>();
    const out = new Map<string, DashboardAsset>();
    for (const [urlPath, { file, contentType }] of FILES) {
      let body = byFile.get(file);
      if (body === undefined) {
        body = readFileSync(fileURLToPath(new URL(file, STATIC_DIR)));
        byFile.set(file, body);
      }
      out.set(urlPath, Object.freeze({ contentType, body }));
    }
    loaded = out;
  }
  return loaded;
}

/**
 * The dashboard file served at URL path `path` (`/` or `/index.html` for the page, `/assets/app.js`,
 * `/assets/graph.js`, `/assets/layout.js`, `/assets/live.js`, `/assets/style.css`), or `null` for any other path. A query string or
 * fragment on `path` is ignored. The files are read from disk once, at the first call; the returned buffers are
 * shared, so callers must not modify them.
 *
 * @example
 * ```ts
 * const asset = dashboardAsset(new URL(req.url!, 'http://x').pathname);
 * if (asset === null) return notFound(res);
 * res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length }).end(asset.body);
 * ```
 */
export function dashboardAsset(path: string): DashboardAsset | null {
  const cut = path.search(/[?#]/);
  return assets().get(cut === -1 ? path : path.slice(0, cut)) ?? null;
}
