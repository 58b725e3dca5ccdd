import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-examples-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the example as `npm run wordcount -- ...args` does. */
function wordCount(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'examples/word-count.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

/**
 * The table the reference pipeline prints for `files` counted together, as `word<TAB>count` lines in its order:
 * `tr -cs 'A-Za-z0-9_' '\n' | tr A-Z a-z | sort | uniq -c` in the C locale (bytes; sort in byte order), each file
 * ended by a newline, since a file boundary (one record per line) separates words. The pipeline counts an empty
 * "word" when a file starts with a separator (tr writes a leading newline) and for the newlines added here; it is
 * no word, so it is left out.
 */
function referenceTable(files: readonly string[]): string {
  const script = `set -o pipefail; { for f in "$@"; do tr -cs 'A-Za-z0-9_' '\\n' < "$f"; echo; done; } | tr A-Z a-z | sort | uniq -c`;
  const r = spawnSync('bash', ['-c', script, 'reference', ...files], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  expect(r.status, r.stderr).toBe(0);
  let table = '';
  for (const line of r.stdout.split('\n')) {
    const m = /^ *([0-9]+) (.*)$/.exec(line);
    if (m === null) {
      expect(line).toBe('');
      continue;
    }
    if (m[2] !== '') table += `${m[2]}\t${m[1]}\n`;
  }
  return table;
}

/** mulberry32: a small seeded PRNG, so the generated text is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words and separators where a JavaScript word count and tr are most likely to disagree.
const TOKENS = [
  'Stream', 'STREAM', 'stream', 'streams', 'Flow', 'flow42', '42', '007', 'under_score', '_lead', 'trail_', '__', 'x',
  'café', 'CAFÉ', 'Éclair', 'naïve', 'Ærøskøbing', 'straße', 'STRASSE', 'ẞ', 'İstanbul', 'İ', 'ıi', '\u212a', '\u212aelvin',
  '\u212b', 'Ωmega', '日本語', 'emoji😀word', "don't", 'e-mail', '3.14', 'a1b2', 'Ünïcödé', 'ǅ', 'ﬁle', 'Ⅻ', '²', '٣',
];
const SEPARATORS = [' ', ' ', ' ', '  ', ', ', '. ', '\t', '—', '…', '-', '/', '\u00a0', '\u200b', '\u0000', '!?'];
// Not UTF-8: a lead byte cut short by ASCII letters (decoders keep the letters), stray bytes.
const BAD_BYTES = [Buffer.from([0xe2, 0x41, 0x42]), Buffer.from([0xff]), Buffer.from([0x80, 0x62]), Buffer.from([0xef, 0xbb, 0xbf])];

/** A file of tricky text: starts with a separator, mixes LF and CRLF, has empty lines, ends without a newline. */
function writeTrickyFile(name: string, seed: number, lines: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const parts: Buffer[] = [Buffer.from(' —leading separator\n')];
  for (let i = 0; i < lines; i++) {
    if (rnd() < 0.1) {
      parts.push(Buffer.from(rnd() < 0.5 ? '\n' : '\r\n'));
      continue;
    }
    const words = 1 + Math.floor(rnd() * 12);
    for (let w = 0; w < words; w++) {
      parts.push(Buffer.from(pick(TOKENS)));
      if (rnd() < 0.05) parts.push(pick(BAD_BYTES));
      if (w < words - 1) parts.push(Buffer.from(pick(SEPARATORS)));
    }
    if (i < lines - 1) parts.push(Buffer.from(rnd() < 0.3 ? '\r\n' : '\n'));
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** The `word<TAB>count` lines of a table; throws on any other line. */
function rowsOf(table: string): [string, number][] {
  return table
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^([^\t]+)\t([1-9][0-9]*)$/.exec(l);
      if (m === null) throw new Error(`not a table row: ${JSON.stringify(l)}`);
      return [m[1]!, Number(m[2])];
    });
}

describe('examples/word-count.ts', () => {
  it('counts a file of tricky text exactly as tr | sort | uniq -c does', () => {
    const input = writeTrickyFile('tricky.txt', 1, 1500);
    const expected = referenceTable([input]);
    // The generator really produced the cases that matter (lowercasing U+0130 and U+212A first would give i and k).
    const text = fs.readFileSync(input, 'latin1');
    for (const needle of ['\r\n', '\n\n', '\xe2\x84\xaa', '\xc4\xb0', '\xe2AB']) expect(text).toContain(needle);
    expect(rowsOf(expected).length).toBeGreaterThan(30);

    const r = wordCount(['--input', input, '--data-dir', path.join(dir, 'one'), '--partitions', '3']);
    expect(r.stderr).toContain(`log and state in ${path.join(dir, 'one')}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('runs over a broker in another process (--broker, `tributary broker`) with the same result', async () => {
    const input = writeTrickyFile('network.txt', 3, 400);
    const broker = spawn(process.execPath, ['bin/tributary.js', 'broker', '--data-dir', path.join(dir, 'network-log'), '--port', '0', '--log-level', 'warn'], { cwd: root });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        broker.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const m = /listening on (\S+)\n/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        broker.once('exit', (code) => reject(new Error(`the broker exited with ${code}`)));
      });
      const r = wordCount(['--input', input, '--data-dir', path.join(dir, 'network-state'), '--broker', address]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(referenceTable([input]));
      // The log is the broker's: the example kept none of its own.
      expect(fs.existsSync(path.join(dir, 'network-state', 'log'))).toBe(false);
    } finally {
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('continues the counts in a second run over the same data directory', () => {
    const first = writeTrickyFile('first.txt', 2, 400);
    const second = writeTrickyFile('second.txt', 3, 300);
    const dataDir = path.join(dir, 'two');

    const r1 = wordCount(['--input', first, '--data-dir', dataDir, '--partitions', '3']);
    expect(r1.status, r1.stderr).toBe(0);
    expect(r1.stdout).toBe(referenceTable([first]));

    const r2 = wordCount(['--input', second, '--data-dir', dataDir, '--partitions', '3']);
    expect(r2.status, r2.stderr).toBe(0);
    // Only the new file's lines are produced; the table covers both files.
    const secondText = fs.readFileSync(second, 'utf8');
    expect(r2.stderr).toContain(`produced ${secondText.split('\n').length - (secondText.endsWith('\n') ? 1 : 0)} lines`);
    expect(r2.stdout).toBe(referenceTable([first, second]));
    expect(r2.stdout).not.toBe(r1.stdout);
  });

  it('runs with no arguments (npm start) and prints a sorted table of the sample text', () => {
    const r = wordCount([]);
    expect(r.status, r.stderr).toBe(0);
    const dataDir = /log and state in (\S+)/.exec(r.stderr)?.[1];
    expect(dataDir).toBeDefined();
    try {
      expect(fs.existsSync(path.join(dataDir!, 'log'))).toBe(true);
      const rows = rowsOf(r.stdout);
      expect(rows.length).toBeGreaterThanOrEqual(10);
      for (const [word] of rows) expect(word).toMatch(/^[a-z0-9_]+$/);
      const words = rows.map(([w]) => w);
      // Strictly increasing in byte order: sorted, no word twice.
      for (let i = 1; i < words.length; i++) expect(Buffer.compare(Buffer.from(words[i - 1]!), Buffer.from(words[i]!))).toBe(-1);
      expect(rows.some(([, n]) => n > 1)).toBe(true);
    } finally {
      fs.rmSync(dataDir!, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with exit code 2', () => {
    const r = wordCount(['--partitions', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--partitions');
    expect(r.stdout).toBe('');
  });

  it("README.md shows the example topology's describe() output", () => {
    const r = wordCount(['--describe']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Topologies:\n/);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`text\n${r.stdout.trimEnd()}\n\`\`\``);
  });
});
