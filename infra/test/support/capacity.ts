/**
 * What an overlay asks the scheduler for: the CPU and memory requests of every container
 * (init containers included) times its workload's replicas, against a stated budget.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { allContainers, podTemplates } from './k8s.js';
import type { K8sObject } from './kustomize.js';

/** "250m" -> 0.25, "1" -> 1 (CPUs). */
export function cpuOf(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** "96Mi" -> bytes; "1G" -> bytes; "512" -> bytes. */
export function bytesOf(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = String(q).match(/^(\d+(?:\.\d+)?)([KMGT]i|[kMGT])?$/);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * (m[2] ? (BINARY[m[2]] ?? DECIMAL[m[2]]!) : 1);
}

export interface Requests {
  cpu: number; // CPUs
  memory: number; // bytes
}

/**
 * The sum the scheduler must find room for. A pod's init containers run before its app
 * containers, so a pod asks for the larger of its biggest init container and the sum of
 * its app containers (the scheduler's own rule), times the workload's replicas (1 when unset).
 */
export function totalRequests(objects: K8sObject[]): Requests {
  const req = (c: Container) => ({ cpu: cpuOf(c.resources?.requests?.['cpu']), memory: bytesOf(c.resources?.requests?.['memory']) });
  let cpu = 0;
  let memory = 0;
  for (const pod of podTemplates(objects)) {
    const replicas = (pod.workload.spec as { replicas?: number }).replicas ?? 1;
    const app = pod.spec.containers.map(req).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
    const init = (pod.spec.initContainers ?? []).map(req);
    const podCpu = Math.max(app.cpu, ...init.map((r) => r.cpu));
    const podMemory = Math.max(app.memory, ...init.map((r) => r.memory));
    cpu += replicas * podCpu;
    memory += replicas * podMemory;
  }
  // Quantities are whole millicores: round away the binary fractions of summing decimals.
  return { cpu: Math.round(cpu * 1000) / 1000, memory };
}

const GiB = 2 ** 30;

/** Problems when the overlay asks for more than the budget (or a container asks for nothing). */
export function requestBudget(objects: K8sObject[], budget: Requests): string[] {
  const problems: string[] = [];
  for (const pod of podTemplates(objects))
    for (const c of allContainers(pod.spec))
      for (const r of ['cpu', 'memory'])
        if (c.resources?.requests?.[r] === undefined) problems.push(`${pod.owner} container ${c.name}: no ${r} request, so the sum below undercounts it`);
  const total = totalRequests(objects);
  if (total.cpu > budget.cpu + 1e-9) problems.push(`requests ${total.cpu.toFixed(2)} CPU, over the budget of ${budget.cpu} CPU`);
  if (total.memory > budget.memory)
    problems.push(`requests ${(total.memory / GiB).toFixed(2)} GiB of memory, over the budget of ${(budget.memory / GiB).toFixed(2)} GiB`);
  return problems;
}
