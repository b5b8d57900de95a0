import type { FaultFigures, Outage } from './faults.js';
import type { FlowRecord } from './workload.js';

/** The chaos run's figures, printed at the end whatever the outcome. */
export interface ChaosFigures {
  mode: string;
  flows: FlowRecord[];
  faults: FaultFigures;
  events: number;
  refunded: number;
  violations: string[];
  durationMs: number;
  /** From the end of the workload until every invariant held (or the grace ran out). */
  settleMs: number;
}

export function formatReport(f: ChaosFigures): string {
  const count = (pred: (r: FlowRecord) => boolean) => f.flows.filter(pred).length;
  const kills = Object.entries(f.faults.kills)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const totalKills = Object.values(f.faults.kills).reduce((a, b) => a + (b ?? 0), 0);
  const lines = [
    `chaos run (${f.mode}) in ${(f.durationMs / 1000).toFixed(1)} s, settled ${(f.settleMs / 1000).toFixed(1)} s after the workload`,
    `  flows:      ${f.flows.length} (pay ${count((r) => r.kind === 'pay')}, pay at the deadline ${count((r) => r.kind === 'pay-late')}, cancel ${count((r) => r.kind === 'cancel')}, expire ${count((r) => r.kind === 'expire')}, start paying then cancel ${count((r) => r.kind === 'intent-cancel')}, start paying then expire ${count((r) => r.kind === 'intent-expire')})`,
    `  outcomes:   paid ${count((r) => r.paymentStatus === 201)}, payment refused ${count((r) => r.paymentStatus === 400)}, awaited payment ${count((r) => !!r.awaited)}, cancelled ${count((r) => r.cancelStatus === 204)}, raced by a rival ${count((r) => !!r.raced)}, abandoned ${count((r) => !!r.abandoned)}`,
    `  kills:      ${totalKills} (${kills || 'none'}); failed restarts ${f.faults.failedRestarts.length}; crashes ${f.faults.crashes.length}`,
    `  NATS restarts: ${f.faults.natsRestarts}`,
    `  freezes (SIGSTOP): ${outages(f.faults.freezes)}`,
    `  database outages: ${outages(f.faults.databaseOutages)}`,
    `  PostgreSQL restarts: ${outages(f.faults.postgresRestarts)}`,
    `  NATS outages: ${outages(f.faults.natsOutages)}`,
    `  events:     ${f.events} in the stream; payments refunded ${f.refunded}`,
    `  violations: ${f.violations.length}`,
    ...f.violations.slice(0, 30).map((v) => `    - ${v}`),
  ];
  if (f.violations.length > 30) lines.push(`    ... and ${f.violations.length - 30} more`);
  return lines.join('\n');
}

/** "2 (orders 81.2 s, tickets 80.3 s)", or "0". */
function outages(list: Outage[]): string {
  if (list.length === 0) return '0';
  return `${list.length} (${list.map((o) => `${o.what} ${(o.forMs / 1000).toFixed(1)} s`).join(', ')})`;
}
