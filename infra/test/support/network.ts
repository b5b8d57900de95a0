/**
 * What the NetworkPolicies allow, worked out the way a policy-enforcing network plugin does:
 * a connection from A to B on a port is allowed when A's egress allows it (or no policy
 * selects A for egress) and B's ingress allows it (or no policy selects B for ingress).
 * Peers outside the namespace are modelled as the ones the architecture talks to.
 */
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1.js';
import { isKind, podTemplates, selects } from './k8s.js';
import type { K8sObject } from './kustomize.js';

const NAMESPACE = 'ticketing';

interface Endpoint {
  name: string;
  namespace?: string; // undefined: outside the cluster
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
  ip: string;
  ports: { name?: string; port: number; protocol: string }[];
}

/**
 * Outside the app's namespace: the Gateway's Envoy proxy (Envoy Gateway runs it in its own
 * namespace, labelled as below), another Envoy proxy of the same controller serving some
 * other Gateway, Prometheus and another pod of the monitoring namespace, cluster DNS, a public
 * address (Stripe).
 */
const envoyProxy = (gateway: string, ip: string): Endpoint => ({
  name: gateway === 'ticketing' ? 'gateway-proxy' : `other-gateway-proxy`,
  namespace: 'envoy-gateway-system',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' },
  labels: {
    'app.kubernetes.io/name': 'envoy',
    'app.kubernetes.io/component': 'proxy',
    'app.kubernetes.io/managed-by': 'envoy-gateway',
    'gateway.envoyproxy.io/owning-gateway-name': gateway,
  },
  ip,
  ports: [],
});
/** A pod of the monitoring namespace: Prometheus itself, or another one (Grafana, say). */
const monitoringPod = (name: string, ip: string): Endpoint => ({
  name,
  namespace: 'monitoring',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
  labels: { 'app.kubernetes.io/name': name },
  ip,
  ports: [],
});
const externals: Endpoint[] = [
  envoyProxy('ticketing', '10.244.9.1'),
  envoyProxy('someone-elses', '10.244.9.3'),
  monitoringPod('prometheus', '10.244.9.4'),
  monitoringPod('grafana', '10.244.9.5'),
  {
    name: 'kube-dns',
    namespace: 'kube-system',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
    labels: { 'k8s-app': 'kube-dns' },
    ip: '10.244.9.2',
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  },
  {
    name: 'internet',
    namespaceLabels: {},
    labels: {},
    ip: '203.0.113.10',
    ports: [
      { port: 443, protocol: 'TCP' },
      { port: 80, protocol: 'TCP' },
    ],
  },
  {
    name: 'cloud-metadata',
    namespaceLabels: {},
    labels: {},
    ip: '169.254.169.254',
    ports: [{ port: 80, protocol: 'TCP' }],
  },
];

function ipToNumber(ip: string) {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inCidr(ip: string, cidr: string) {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToNumber(base!) / size) * size;
  const n = ipToNumber(ip);
  return n >= start && n < start + size;
}

function peerMatches(peer: NetworkPolicyPeer, e: Endpoint): boolean {
  if (peer.ipBlock) {
    return inCidr(e.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x) => inCidr(e.ip, x));
  }
  if (e.namespace === undefined) return false; // selectors only match pods
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, e.namespaceLabels) : e.namespace === NAMESPACE;
  return namespaceOk && selects(peer.podSelector, e.labels);
}

function portMatches(ports: NetworkPolicyPort[] | undefined, port: Endpoint['ports'][number]): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === port.protocol &&
      (p.port === undefined || p.port === port.port || (typeof p.port === 'string' && p.port === port.name)),
  );
}

/** Every allowed connection, as "from -> to:port/protocol". */
export function allowedConnections(objects: K8sObject[]): Set<string> {
  const policies = objects.filter(isKind<NetworkPolicy>('NetworkPolicy'));
  const pods: Endpoint[] = podTemplates(objects).map((p, i) => ({
    name: p.labels['app'] ?? p.owner,
    namespace: NAMESPACE,
    namespaceLabels: { 'kubernetes.io/metadata.name': NAMESPACE },
    labels: p.labels,
    ip: `10.244.0.${i + 1}`,
    ports: p.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((cp) => ({ name: cp.name, port: cp.containerPort, protocol: cp.protocol ?? 'TCP' })),
    ),
  }));
  const inNamespace = (e: Endpoint) => e.namespace === NAMESPACE;
  const selecting = (e: Endpoint, type: 'Ingress' | 'Egress') =>
    inNamespace(e)
      ? policies.filter(
          (np) => selects(np.spec?.podSelector, e.labels) && (np.spec?.policyTypes ?? ['Ingress']).includes(type),
        )
      : [];

  const allowed = new Set<string>();
  const all = [...pods, ...externals];
  for (const from of all) {
    for (const to of all) {
      if (from === to || (!inNamespace(from) && !inNamespace(to))) continue;
      for (const port of to.ports) {
        const egress = selecting(from, 'Egress');
        const egressOk =
          egress.length === 0 ||
          egress.some((np) =>
            (np.spec?.egress ?? []).some(
              (rule) => (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, to))) && portMatches(rule.ports, port),
            ),
          );
        const ingress = selecting(to, 'Ingress');
        const ingressOk =
          ingress.length === 0 ||
          ingress.some((np) =>
            (np.spec?.ingress ?? []).some(
              (rule) =>
                (!rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, from))) && portMatches(rule.ports, port),
            ),
          );
        if (egressOk && ingressOk) allowed.add(`${from.name} -> ${to.name}:${port.port}/${port.protocol}`);
      }
    }
  }
  return allowed;
}

/** What the architecture needs, and nothing else (see the network-policies component). */
export function neededConnections(objects: K8sObject[], architecture: { apiServices: string[]; services: string[]; internet: string[] }) {
  const needed = new Set<string>();
  const podNames = podTemplates(objects).map((p) => p.labels['app'] ?? p.owner);
  for (const pod of podNames) {
    needed.add(`${pod} -> kube-dns:53/UDP`);
    needed.add(`${pod} -> kube-dns:53/TCP`);
  }
  for (const s of [...architecture.apiServices, 'client']) needed.add(`gateway-proxy -> ${s}:3000/TCP`);
  for (const s of architecture.apiServices) needed.add(`client -> ${s}:3000/TCP`);
  for (const s of architecture.services) {
    needed.add(`${s} -> ${s}-postgres:5432/TCP`);
    needed.add(`${s} -> nats:4222/TCP`);
  }
  for (const s of architecture.internet) needed.add(`${s} -> internet:443/TCP`);
  // Prometheus scrapes each service's metrics port (METRICS_PORT), and only that.
  for (const s of architecture.services) needed.add(`prometheus -> ${s}:9464/TCP`);
  return needed;
}
