import * as fs from 'node:fs';

/**
 * Writes `value` as JSON to `file` by writing `<file>.tmp` and renaming it over `file`, so a reader (or a restart
 * after a crash) sees the old content or the new, never half of it. Not fsynced: for checkpoints and metadata that
 * may be lost, not torn.
 *
 * @example
 * ```ts
 * replaceJsonFile(path.join(taskDir, '.checkpoint'), { counts: 42 });
 * ```
 */
export function replaceJsonFile(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
}
