import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLAIM_MS, claimPort, freePort } from '../src/free-port.js';

const execFileAsync = promisify(execFile);

/** The kernel's ephemeral range, whose ports outgoing connections take. */
const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);

describe('freePort', () => {
  it('when ports are asked for, then each is below the range outgoing connections take, and can be listened on', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeLessThan(low!);
      expect(port).toBeGreaterThanOrEqual(1024);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('claimPort', () => {
  it('when a port was handed out, then it is not handed out again until the claim is old', () => {
    const dir = mkdtempSync(join(tmpdir(), 'claims-')); // not the machine's claims: no one else's are touched
    const now = Date.now();
    expect(claimPort(20_000, now, dir)).toBe(true);
    expect(claimPort(20_000, now + 1000, dir)).toBe(false);
    expect(claimPort(20_001, now + 1000, dir)).toBe(true);
    expect(claimPort(20_000, now + CLAIM_MS + 1, dir)).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('when several processes ask for ports at once, then no port is handed out twice', async () => {
    // 4 x 150 picks from 10,000 ports: without the claims, a repeat is all but certain.
    const script = `import { freePort } from ${JSON.stringify(new URL('../src/free-port.ts', import.meta.url).href)};
const ports = []; for (let i = 0; i < 150; i++) ports.push(await freePort()); console.log(JSON.stringify(ports));`;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])),
    );
    const ports = runs.flatMap((r) => JSON.parse(r.stdout) as number[]);
    expect(ports).toHaveLength(600);
    expect(new Set(ports).size).toBe(600);
  }, 60_000);
});
