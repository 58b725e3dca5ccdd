/**
 * `KStream.print`: writes `[label]: key, value` per record.
 */
import type { Processor, ProcessorSupplier } from '../../src/processor/processor.js';
import type { Record } from '../../src/processor/record.js';
import type { KeyValueMapper } from '../functions.js';
import type { LineWriter } from '../options/printed.js';

class KStreamPrintProcessor<K, V> implements Processor<K, V> {
  constructor(
    private readonly writer: LineWriter,
    private readonly label: string,
    private readonly mapper: KeyValueMapper<K, V, string> | undefined,
  ) {}

  process(record: Record<K, V>): void {
    const text = this.mapper === undefined ? `${String(record.key)}, ${String(record.value)}` : this.mapper(record.key, record.value);
    this.writer(`[${this.label}]: ${text}`);
  }
}

/**
 * Writes one line per record to `writer`: `[label]: key, value`, or `[label]: mapper(key, value)`; terminal.
 *
 * @example
 * ```ts
 * topology.addProcessor('KSTREAM-PRINTER-0000000001', kstreamPrint((line) => lines.push(line), 'src', undefined), 'src');
 * ```
 */
export function kstreamPrint<K, V>(writer: LineWriter, label: string, mapper: KeyValueMapper<K, V, string> | undefined): ProcessorSupplier<K, V> {
  return () => new KStreamPrintProcessor(writer, label, mapper);
}
