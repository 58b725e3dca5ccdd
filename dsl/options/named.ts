/**
 * `Named`: a user-chosen name for the processor(s) one DSL operation creates, instead of a generated
 * `KSTREAM-FILTER-0000000003`-style name.
 */
import { StreamsError } from '../../src/errors.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
const MAX_LENGTH = 249;

/**
 * Checks a name given to an operator, store or repartition topic: 1..249 characters of `[a-zA-Z0-9._-]`, as Kafka
 * Streams requires (names end up in topic names). Throws `StreamsError('TOPOLOGY_INVALID')` otherwise.
 *
 * @example
 * ```ts
 * validateName('count-words'); // ok
 * validateName('count words'); // throws TOPOLOGY_INVALID
 * ```
 */
export function validateName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_LENGTH || !LEGAL.test(name)) {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `name ${JSON.stringify(name)} is illegal: use 1..${MAX_LENGTH} ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
  return name;
}

/**
 * The name of a DSL operation's processor (Kafka Streams' `Named`). Every operator that takes options accepts one;
 * without it the DSL generates `<KIND>-<10-digit index>` names. Names must be unique within a topology (checked at
 * `build()`) and are validated when created.
 *
 * Immutable: `withName` returns a new object.
 *
 * @example
 * ```ts
 * builder.stream<string, string>('orders').filter((_k, v) => v !== '', Named.as('drop-empty'));
 * // Processor: drop-empty (stores: [])
 * ```
 */
export class Named {
  private constructor(readonly name: string) {
    Object.freeze(this);
  }

  /**
   * A Named with this name.
   *
   * @example
   * ```ts
   * Named.as('to-upper');
   * ```
   */
  static as(name: string): Named {
    return new Named(validateName(name));
  }

  /**
   * A copy with another name.
   *
   * @example
   * ```ts
   * Named.as('a').withName('b').name; // 'b'
   * ```
   */
  withName(name: string): Named {
    return new Named(validateName(name));
  }
}
