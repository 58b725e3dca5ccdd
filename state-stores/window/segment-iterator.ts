/** Adapts a {@link Segments} scan to the store iterators' protocol. */
import type { KeyValue } from '../../src/state/key-value-store.js';
import { AbstractKeyValueIterator } from '../abstract-key-value-iterator.js';
import type { SegmentEntry } from './segments.js';

/**
 * A store iterator over a segment scan: `toEntry` turns each {@link SegmentEntry} into the entry to return, or
 * `undefined` to skip it (a filter). Closing ends the scan.
 *
 * @example
 * ```ts
 * new SegmentIterator(segments.fetch(k, k, 0, 100, false), (e) => ({ key: e.t1, value: e.value }));
 * ```
 */
export class SegmentIterator<K, V> extends AbstractKeyValueIterator<K, V> {
  constructor(
    private readonly scan: Iterator<SegmentEntry, undefined>,
    private readonly toEntry: (entry: SegmentEntry) => KeyValue<K, V> | undefined,
  ) {
    super();
  }

  protected fetchNext(): KeyValue<K, V> | undefined {
    for (;;) {
      const result = this.scan.next();
      if (result.done === true) return undefined;
      const entry = this.toEntry(result.value);
      if (entry !== undefined) return entry;
    }
  }

  protected override onClose(): void {
    this.scan.return?.();
  }
}
