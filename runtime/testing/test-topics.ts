import { StreamsError } from '../../src/errors.js';
import { NO_HEADERS, type Headers, type ProducerRecord } from '../../src/record.js';
import type { Serde } from '../../src/serdes/serde.js';
import { serializeFor } from '../../src/serdes/serde.js';
import { Record } from '../../src/processor/record.js';
import type { TopologyTestDriver } from './topology-test-driver.js';

/** A key and a value, as the test topics return them. */
export interface TestKeyValue<K, V> {
  readonly key: K | null;
  readonly value: V | null;
}

/**
 * Pipes typed records into a topic of a {@link TopologyTestDriver}; each is processed to completion before the
 * call returns. Without a timestamp, records get the driver's virtual wall-clock time.
 *
 * @example
 * ```ts
 * const input = driver.createInputTopic('lines', Serdes.String(), Serdes.String());
 * input.pipeInput('k', 'hello', 1_000);
 * input.pipeValueList(['a b', 'b c']);
 * ```
 */
export class TestInputTopic<K, V> {
  readonly #driver: TopologyTestDriver;
  readonly topic: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;

  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#driver = driver;
    this.topic = topic;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  #toRaw(key: K | null, value: V | null, timestampMs: number | undefined, headers: Headers, partition?: number): ProducerRecord {
    return {
      key: serializeFor(this.#keySerde, key, this.topic, headers),
      value: serializeFor(this.#valueSerde, value, this.topic, headers),
      headers,
      ...(timestampMs === undefined ? {} : { timestampMs }),
      ...(partition === undefined ? {} : { partition }),
    };
  }

  pipeInput(key: K | null, value: V | null, timestampMs?: number, headers: Headers = NO_HEADERS): void {
    if (timestampMs !== undefined && (!Number.isSafeInteger(timestampMs) || timestampMs < 0)) {
      throw new StreamsError('INVALID_CONFIG', `timestampMs must be a non-negative integer, got ${timestampMs}`);
    }
    this.#driver.pipeRaw(this.topic, [this.#toRaw(key, value, timestampMs, headers)]);
  }

  /** Pipes a value with a null key. */
  pipeValue(value: V | null, timestampMs?: number): void {
    this.pipeInput(null, value, timestampMs);
  }

  pipeKeyValueList(entries: readonly TestKeyValue<K, V>[], startTimestampMs?: number, advanceMs = 0): void {
    entries.forEach((e, i) => this.pipeInput(e.key, e.value, startTimestampMs === undefined ? undefined : startTimestampMs + i * advanceMs));
  }

  pipeValueList(values: readonly (V | null)[], startTimestampMs?: number, advanceMs = 0): void {
    values.forEach((v, i) => this.pipeInput(null, v, startTimestampMs === undefined ? undefined : startTimestampMs + i * advanceMs));
  }

  /** Pipes a record into one explicit partition (multi-partition topics). */
  pipeInputToPartition(partition: number, key: K | null, value: V | null, timestampMs?: number): void {
    this.#driver.pipeRaw(this.topic, [this.#toRaw(key, value, timestampMs, NO_HEADERS, partition)]);
  }
}

/**
 * Reads typed records a topology wrote to a topic of a {@link TopologyTestDriver}, each once, in order within a
 * partition (partitions in turn).
 *
 * @example
 * ```ts
 * const output = driver.createOutputTopic('counts', Serdes.String(), Serdes.BigInt());
 * output.readKeyValue(); // { key: 'hello', value: 1n }
 * output.isEmpty();      // true
 * ```
 */
export class TestOutputTopic<K, V> {
  readonly #driver: TopologyTestDriver;
  readonly topic: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  readonly #positions = new Map<number, number>();
  #buffer: Record<K | null, V | null>[] = [];

  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#driver = driver;
    this.topic = topic;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  #fill(): void {
    for (const r of this.#driver.readRaw(this.topic, this.#positions)) {
      this.#buffer.push(
        new Record(this.#keySerde.deserialize(this.topic, r.key, r.headers), this.#valueSerde.deserialize(this.topic, r.value, r.headers), r.timestampMs, r.headers),
      );
    }
  }

  /** The next record; NO_SUCH_ELEMENT-like ILLEGAL_STATE when there is none. */
  readRecord(): Record<K | null, V | null> {
    this.#fill();
    const r = this.#buffer.shift();
    if (r === undefined) throw new StreamsError('ILLEGAL_STATE', `no record left in output topic ${this.topic}`);
    return r;
  }

  readKeyValue(): TestKeyValue<K, V> {
    const r = this.readRecord();
    return { key: r.key, value: r.value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): Record<K | null, V | null>[] {
    this.#fill();
    const out = this.#buffer;
    this.#buffer = [];
    return out;
  }

  readKeyValuesToList(): TestKeyValue<K, V>[] {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** The last value per key (a null value removes the key, as a table would). */
  readKeyValuesToMap(): Map<K | null, V> {
    const m = new Map<K | null, V>();
    for (const r of this.readRecordsToList()) {
      if (r.value === null) m.delete(r.key);
      else m.set(r.key, r.value);
    }
    return m;
  }

  getQueueSize(): number {
    this.#fill();
    return this.#buffer.length;
  }

  isEmpty(): boolean {
    return this.getQueueSize() === 0;
  }
}
