import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

describe('examples', () => {
  it('word-count runs on the embedded broker and prints the counts', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/word-count.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const counts = new Map(
      r.stdout
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [word, n] = l.trim().split(/\s+/);
          return [word!, Number(n)] as const;
        }),
    );
    // Counted independently from the example's input lines.
    expect(counts.get('the')).toBe(5);
    expect(counts.get('flow')).toBe(3);
    expect(counts.get('tributary')).toBe(1);
    expect(counts.size).toBe(17);
  });
});
