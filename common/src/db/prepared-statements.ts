import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * How many statements one connection prepares at most. A service has a few dozen statement
 * texts (an `in (...)` list makes one per length); past the bound, new texts run unprepared,
 * so a query built with varying text cannot grow a backend's memory without end.
 */
export const PREPARED_PER_CONNECTION = 200;

/** Statement names by text, so a hot statement is hashed once per process. */
const names = new Map<string, string>();
const NAMES_KEPT = 2000;

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `s${createHash('sha1').update(text).digest('hex')}`;
    if (names.size < NAMES_KEPT) names.set(text, name);
  }
  return name;
}

/**
 * A connection that prepares each statement with parameters once, by a name taken from its text,
 * and from then on only binds and executes it. PostgreSQL then parses and analyses it once per
 * connection, and after five executions plans it once too, when a generic plan costs no more:
 * planning was some 40% of the statements' time under the purchase load (bench/README.md). The
 * services' queries come from drizzle and pg-boss as text and values; naming them here prepares
 * all of them without each call site asking. A statement without values (DDL, migrations,
 * several statements at once) keeps the simple query protocol, as before.
 */
export class PreparingClient extends pg.Client {
  private prepared = new Set<string>();

  override query(...args: unknown[]): never {
    const [config, values] = args;
    const named = this.withName(config, values);
    if (named !== config) args[0] = named;
    return (super.query as (...a: unknown[]) => never)(...args);
  }

  private withName(config: unknown, values: unknown): unknown {
    if (typeof config === 'string') {
      return Array.isArray(values) && values.length > 0 ? this.named({ text: config }) : config;
    }
    if (typeof config !== 'object' || config === null || 'submit' in config) return config; // a Cursor or QueryStream
    const query = config as pg.QueryConfig;
    const given = values ?? query.values;
    if (query.name !== undefined || typeof query.text !== 'string' || !Array.isArray(given) || given.length === 0) return config;
    return this.named(query);
  }

  private named(query: pg.QueryConfig): pg.QueryConfig {
    const name = statementName(query.text);
    if (!this.prepared.has(name)) {
      if (this.prepared.size >= PREPARED_PER_CONNECTION) return query;
      this.prepared.add(name);
    }
    return { ...query, name };
  }
}
