/**
 * The deployed system, reached only as a browser and an operator would: HTTP to its entry
 * point (E2E_BASE_URL, the Gateway) and kubectl on its kube context (KUBE_CONTEXT).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from '@ticketing/testkit';
import { at } from '@ticketing/testkit/api-user';
import { ApiUser, type ApiResponse } from '../client.js';

const baseUrl = process.env.E2E_BASE_URL;
if (!baseUrl) throw new Error('E2E_BASE_URL is not set: these tests run against a deployed cluster (scripts/kind-e2e.sh sets it)');
export const BASE_URL = baseUrl.replace(/\/$/, '');

/** A new user, signed up through the entry point. */
export const signUp = () => ApiUser.signUp(at(BASE_URL));

const run = promisify(execFile);
export async function kubectl(...args: string[]): Promise<string> {
  const context = process.env.KUBE_CONTEXT ? ['--context', process.env.KUBE_CONTEXT] : [];
  const { stdout } = await run('kubectl', [...context, ...args], { encoding: 'utf8' });
  return stdout.trim();
}

/** The uids of the pods of Deployment `app` (pods are labelled app=<name>). */
export const podUids = async (app: string) =>
  (await kubectl('get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.uid}')).split(/\s+/).filter(Boolean);

/** Every pod of `app` killed at once, as a crash would: no grace period, no preStop pause. */
export const killPods = (app: string) => kubectl('delete', 'pod', '-l', `app=${app}`, '--grace-period=0', '--force', '--wait=false');

/** Waits until `app` has a ready pod that is none of `killed`. */
export async function replaced(app: string, killed: string[], timeoutMs = 4 * 60_000) {
  return eventually(
    async () => {
      const ready = await kubectl(
        'get', 'pods', '-l', `app=${app}`, '-o',
        'jsonpath={range .items[*]}{.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      );
      return ready.split('\n').some((line) => {
        const [uid, status] = line.split(' ');
        return uid && !killed.includes(uid) && status === 'True';
      });
    },
    { what: `a new ready pod of ${app}`, timeoutMs, intervalMs: 1000 },
  );
}

/**
 * Sends until the answer is neither a gateway error (502, 503, 504) nor a failed connection or
 * Envoy's plain-text error body: while a pod is replaced, its Service has no endpoint. Other
 * statuses to wait out (such as 404 while an event is on its way) go in `alsoRetry`.
 */
export function despiteOutage(send: () => Promise<ApiResponse>, what: string, timeoutMs = 4 * 60_000, alsoRetry: number[] = []) {
  return eventually(
    async () => {
      const res = await send();
      return [502, 503, 504, ...alsoRetry].includes(res.status) ? undefined : res;
    },
    { what, timeoutMs, intervalMs: 500 },
  );
}
