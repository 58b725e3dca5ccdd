/**
 * `Printed`: where `KStream.print()` writes and how each record looks.
 */
import * as fs from 'node:fs';
import type { KeyValueMapper } from '../functions.js';
import { validateName } from './named.js';

/**
 * Receives each printed line (without a line break).
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const writer: LineWriter = (line) => lines.push(line);
 * ```
 */
export type LineWriter = (line: string) => void;

/**
 * Options of `KStream.print()` (Kafka Streams' `Printed`): each record is written as `[label]: key, value` (or
 * `[label]: <mapper(key, value)>`), one line per record, to standard output, a file (appended to) or any
 * {@link LineWriter}. The label defaults to the name of the node the stream comes from.
 *
 * Immutable: every `with...` returns a new object.
 *
 * @example
 * ```ts
 * stream.print(Printed.toSysOut<string, number>().withLabel('counts'));
 * // [counts]: kafka, 3
 * ```
 */
export class Printed<K, V> {
  private constructor(
    readonly writer: LineWriter,
    readonly label: string | undefined,
    readonly mapper: KeyValueMapper<K, V, string> | undefined,
    readonly processorName: string | undefined,
  ) {
    Object.freeze(this);
  }

  /** Prints to standard output. @example `stream.print(Printed.toSysOut())` */
  static toSysOut<K = unknown, V = unknown>(): Printed<K, V> {
    return new Printed<K, V>((line) => void process.stdout.write(`${line}\n`), undefined, undefined, undefined);
  }

  /** Appends to the file at `path` (created if missing). @example `stream.print(Printed.toFile('/tmp/out.txt'))` */
  static toFile<K = unknown, V = unknown>(path: string): Printed<K, V> {
    return new Printed<K, V>((line) => fs.appendFileSync(path, `${line}\n`), undefined, undefined, undefined);
  }

  /** Hands each line to `writer`. @example `stream.print(Printed.toWriter((line) => lines.push(line)))` */
  static toWriter<K = unknown, V = unknown>(writer: LineWriter): Printed<K, V> {
    return new Printed<K, V>(writer, undefined, undefined, undefined);
  }

  /** A copy with this label. @example `Printed.toSysOut().withLabel('orders')` */
  withLabel(label: string): Printed<K, V> {
    return new Printed<K, V>(this.writer, label, this.mapper, this.processorName);
  }

  /** A copy that prints `mapper(key, value)` after the label. @example `printed.withKeyValueMapper((k, v) => k + '=' + v)` */
  withKeyValueMapper(mapper: KeyValueMapper<K, V, string>): Printed<K, V> {
    return new Printed<K, V>(this.writer, this.label, mapper, this.processorName);
  }

  /** A copy naming the print processor. @example `printed.withName('debug-print')` */
  withName(processorName: string): Printed<K, V> {
    return new Printed<K, V>(this.writer, this.label, this.mapper, validateName(processorName));
  }
}
