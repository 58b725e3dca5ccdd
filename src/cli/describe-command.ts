/**
 * `tributary describe app.ts [--mermaid]`: prints the application's topology as Kafka Streams' describe() text and,
 * with `--mermaid`, after a blank line, the same graph as a Mermaid flowchart. Nothing is started or connected.
 */
import type { StreamsConfig } from '../../runtime/streams-config.js';
import { toMermaid } from '../topology/topology-mermaid.js';
import { describeAny, loadAppModule } from './app-module.js';
import { onePositional, parseCommandArgs } from './command-args.js';

const OPTIONS = {
  mermaid: { type: 'boolean' },
  'application-id': { type: 'string' },
} as const;

/**
 * Runs `tributary describe`; resolves with the exit code.
 *
 * @example
 * ```ts
 * await runDescribeCommand(['examples/app.ts', '--mermaid']);
 * ```
 */
export async function runDescribeCommand(args: readonly string[], out: { write(text: string): unknown } = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const app = await loadAppModule(onePositional(positionals, 'describe', 'app module'));
  const config: Partial<StreamsConfig> = values['application-id'] === undefined ? app.config : { ...app.config, applicationId: values['application-id'] };
  const description = describeAny(await app.topology(config));
  const text = description.toString();
  out.write(text);
  if (values.mermaid === true) {
    const mermaid = toMermaid(description);
    // Kafka's text already ends with a blank line; one blank line between the two.
    out.write(`${text.endsWith('\n\n') ? '' : '\n'}${mermaid}${mermaid.endsWith('\n') ? '' : '\n'}`);
  }
  return 0;
}
