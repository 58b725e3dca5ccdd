import { describe, expect, it } from 'vitest';
import { dashboardAsset } from './assets.js';

/** Every asset the page loads, following `src`/`href` in the HTML and `import ... from './x.js'` in the scripts. */
function reachableAssets(): Map<string, string> {
  const found = new Map<string, string>();
  const pending = ['/'];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (found.has(path)) continue;
    const asset = dashboardAsset(path);
    if (asset === null) throw new Error(`the dashboard refers to ${path}, which is not served`);
    const text = asset.body.toString('utf8');
    found.set(path, text);
    if (path === '/') {
      for (const m of text.matchAll(/(?:src|href)="([^"]+)"/g)) if (!m[1]!.startsWith('data:')) pending.push(`/${m[1]!}`);
    } else if (path.endsWith('.js')) {
      for (const m of text.matchAll(/^import .* from '\.\/([^']+)';$/gm)) pending.push(`/assets/${m[1]!}`);
    }
  }
  return found;
}

describe('dashboardAsset', () => {
  it('serves the page at / and /index.html with its type', () => {
    const page = dashboardAsset('/');
    expect(page?.contentType).toBe('text/html; charset=utf-8');
    expect(page?.body.toString('utf8')).toContain('data-testid="topology-graph"');
    expect(dashboardAsset('/index.html')?.body).toBe(page?.body);
    expect(dashboardAsset('/?refresh=1')?.body).toBe(page?.body);
  });

  it('serves every file the page loads, with a JavaScript or CSS type', () => {
    const assets = reachableAssets();
    expect([...assets.keys()].sort()).toEqual(['/', '/assets/app.js', '/assets/graph.js', '/assets/layout.js', '/assets/live.js', '/assets/style.css']);
    expect(dashboardAsset('/assets/app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(dashboardAsset('/assets/style.css')?.contentType).toBe('text/css; charset=utf-8');
  });

  it('is self-contained: nothing is loaded from another origin', () => {
    for (const [path, text] of reachableAssets()) {
      // The SVG namespace is an identifier, not a download.
      const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'")]*/gi)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg');
      expect(urls, path).toEqual([]);
      expect(text, path).not.toMatch(/@import|url\(\s*['"]?(?!data:|#)/);
    }
  });

  it('answers null for any other path, including attempts to leave the folder', () => {
    for (const path of ['/assets/', '/assets/missing.js', '/assets/../assets.ts', '/static/app.js', '/assets/app.js/', '/../package.json', '', 'index.html']) {
      expect(dashboardAsset(path), path).toBeNull();
    }
  });
});
