import pg from 'pg';

/**
 * Shuts one database off while the server and the other databases carry on, as a managed
 * database's failover or maintenance does: new connections are refused ("database ... is not
 * currently accepting connections") and the open ones are ended. `restore()` lets them in again.
 */
export async function shutOffDatabase(databaseUrl: string): Promise<{ restore(): Promise<void> }> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = async (statements: (c: pg.Client) => Promise<unknown>) => {
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await statements(c);
    } finally {
      await c.end();
    }
  };
  await admin(async (c) => {
    await c.query(`alter database ${pg.escapeIdentifier(name)} allow_connections false`);
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  });
  return { restore: () => admin((c) => c.query(`alter database ${pg.escapeIdentifier(name)} allow_connections true`)) };
}
