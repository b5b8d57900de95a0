#!/usr/bin/env bash
# The kind end-to-end run: a throwaway kind cluster, the pinned Gateway API and Envoy Gateway,
# the dev overlay deployed with `skaffold run`, then the whole-system purchase tests through
# the Gateway (npm run test:cluster), a pod killed while purchases are in flight included,
# then the guide's Kubernetes exercises, each as the script a learner runs (scripts/exercises/).
# On failure, everything needed to see why goes to $DUMP_DIR. The cluster is deleted at the
# end unless KEEP_CLUSTER=1 (a kept cluster is reused by the next run).
#
# Needs Docker (a daemon that answers), kind, kubectl, skaffold, helm and Node.js with
# `npm ci` done; and `ticketing.local` resolving to 127.0.0.1 (the HTTPRoute only answers
# that host). CI: .github/workflows/e2e-kind.yml. Step by step: docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned, and cross-checked against skaffold.yaml, the dev overlay, infra/kind/ and
# docs/deploy.md by infra/test/kind.test.ts: change them together.
GATEWAY_API_VERSION=v1.5.1
ENVOY_GATEWAY_VERSION=v1.9.1
KIND_CONFIG=infra/kind/cluster.yaml
ENTRY_HOST=ticketing.local
ENTRY_PORT=8888
# What skaffold builds and loads into the node.
IMAGES=(
  ticketing/auth
  ticketing/tickets
  ticketing/orders
  ticketing/expiration
  ticketing/payments
  ticketing/client
)
# What the dev overlay runs, waited for one by one.
DEPLOYMENTS=(
  auth
  tickets
  orders
  expiration
  payments
  client
  front-door
)
STATEFULSETS=(
  nats
  auth-postgres
  tickets-postgres
  orders-postgres
  expiration-postgres
  payments-postgres
)
# docs/guide/21-kubernetes-exercises.md's scripts that drive kubectl, run in this order.
EXERCISES=(
  self-heal.sh
  scale.sh
  rollout.sh
  storage.sh
  dns.sh
  config.sh
)

CLUSTER_NAME="${CLUSTER_NAME:-ticketing-e2e}"
CONTEXT="kind-$CLUSTER_NAME"
DUMP_DIR="${DUMP_DIR:-.test-results/kind}"
BASE_URL="http://$ENTRY_HOST:$ENTRY_PORT"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-10m}"

step() { printf '\n==> %s\n' "$*"; }
kc() { kubectl --context "$CONTEXT" "$@"; }
# Every Deployment and StatefulSet of the dev overlay has rolled out, one by one.
rolled_out() {
  local name
  for name in "${DEPLOYMENTS[@]}"; do kc rollout status "deployment/$name" --timeout="$ROLLOUT_TIMEOUT"; done
  for name in "${STATEFULSETS[@]}"; do kc rollout status "statefulset/$name" --timeout="$ROLLOUT_TIMEOUT"; done
}

# 1. Every tool first, all missing ones named at once, before anything is created.
step "checking the tools"
missing=()
for tool in docker kind kubectl skaffold helm node npm; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing on PATH: ${missing[*]} (docs/deploy.md, 'The kind end-to-end run', says where to get them)" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker is installed but its daemon does not answer (docker info failed): start Docker first" >&2
  exit 1
fi
[ -d node_modules ] || { echo "node_modules is missing: run npm ci first" >&2; exit 1; }

# 2. The Gateway's route answers only its hostname, so the tests use it, as a browser would.
# Node's resolver is the one the tests use.
if ! node -e "require('node:dns').lookup('$ENTRY_HOST', { family: 4 }, (e, a) => process.exit(!e && a === '127.0.0.1' ? 0 : 1))"; then
  echo "$ENTRY_HOST does not resolve to 127.0.0.1: add the line '127.0.0.1 $ENTRY_HOST' to /etc/hosts" >&2
  exit 1
fi

# 3. On any failure from here on, dump the cluster's state; then delete the cluster.
dump() {
  step "dumping the cluster's state into $DUMP_DIR"
  rm -rf "$DUMP_DIR" && mkdir -p "$DUMP_DIR/logs"
  kc get all -A -o wide >"$DUMP_DIR/get-all.txt" 2>&1 || true
  # Apart: kubectl gives up on the whole list when one type is unknown (CRDs not installed yet).
  kc get pvc,gatewayclass,gateway,httproute -A -o wide >"$DUMP_DIR/get-storage-and-gateway.txt" 2>&1 || true
  kc get events -A --sort-by=.lastTimestamp >"$DUMP_DIR/events.txt" 2>&1 || true
  kc describe pods -A >"$DUMP_DIR/describe-pods.txt" 2>&1 || true
  kc describe gateway,httproute,gatewayclass -A >"$DUMP_DIR/describe-gateway.txt" 2>&1 || true
  kc get envoyproxy -A -o yaml >"$DUMP_DIR/envoyproxy.yaml" 2>&1 || true
  local ns pod container
  while read -r ns pod; do
    for container in $(kc -n "$ns" get pod "$pod" -o jsonpath='{.spec.initContainers[*].name} {.spec.containers[*].name}'); do
      kc -n "$ns" logs "$pod" -c "$container" >"$DUMP_DIR/logs/$ns.$pod.$container.log" 2>&1 || true
      # A container that restarted: the log of the run before, where the cause usually is.
      kc -n "$ns" logs "$pod" -c "$container" --previous >"$DUMP_DIR/logs/$ns.$pod.$container.previous.log" 2>/dev/null ||
        rm -f "$DUMP_DIR/logs/$ns.$pod.$container.previous.log"
    done
  done < <(kc get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' 2>/dev/null || true)
  docker exec "$CLUSTER_NAME-control-plane" crictl images >"$DUMP_DIR/node-images.txt" 2>&1 || true
}
finish() {
  local status=$?
  [ "$status" -eq 0 ] || dump
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    echo "KEEP_CLUSTER=1: cluster $CLUSTER_NAME kept (kube context $CONTEXT)"
  else
    step "deleting cluster $CLUSTER_NAME"
    kind delete cluster --name "$CLUSTER_NAME" || true
  fi
  exit "$status"
}
trap finish EXIT

# 4. The cluster, from the config in the repository (node image, the entry point's port
# mapping). A cluster kept by an earlier run (KEEP_CLUSTER=1) is reused.
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  step "reusing kind cluster $CLUSTER_NAME"
else
  step "creating kind cluster $CLUSTER_NAME from $KIND_CONFIG"
  kind create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 5m
fi

# 5. Gateway API CRDs (standard channel) and Envoy Gateway, at the versions docs/deploy.md
# pins, installed as its steps say; then the controller's readiness.
step "installing Gateway API $GATEWAY_API_VERSION and Envoy Gateway $ENVOY_GATEWAY_VERSION"
kc apply --server-side -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml"
helm template eg-crds oci://docker.io/envoyproxy/gateway-crds-helm --version "$ENVOY_GATEWAY_VERSION" \
  --set crds.envoyGateway.enabled=true | kc apply --server-side -f -
helm upgrade --install eg oci://docker.io/envoyproxy/gateway-helm --version "$ENVOY_GATEWAY_VERSION" \
  --kube-context "$CONTEXT" -n envoy-gateway-system --create-namespace --skip-crds --set crds.enabled=false
kc wait -n envoy-gateway-system deployment/envoy-gateway --for=condition=Available --timeout=5m

# 6. The GatewayClass every cluster gets, then kind's own proxy settings (a NodePort on the
# port cluster.yaml maps to the host) attached to it.
step "applying the GatewayClass and kind's EnvoyProxy"
kc apply -f infra/k8s/cluster/gateway-class.yaml
kc apply -f infra/kind/envoy-proxy.yaml
kc patch gatewayclass eg --type merge --patch-file infra/kind/gateway-class-patch.yaml
kc wait gatewayclass/eg --for=condition=Accepted --timeout=2m

# 7. The dev overlay's Secrets come from files its secretGenerator reads; the script keeps
# files that exist (a reused cluster's databases remember their passwords).
step "creating the development secrets"
infra/k8s/overlays/dev/make-dev-secrets.sh

# 8. Build and deploy the dev overlay. skaffold recognises the kind-* kube context: it builds
# the images with the local Docker engine, pushes nothing and loads them into the node with
# `kind load docker-image`. The prod profile is not for kind: it needs a registry to push its
# multi-platform images to, TLS and real Stripe keys.
step "skaffold run (dev overlay)"
skaffold run --kube-context "$CONTEXT" --status-check=true

# 9. Every image is on the node (what kind load did), and every workload rolls out.
step "checking the images on the node"
node_images=$(docker exec "$CLUSTER_NAME-control-plane" crictl images)
for image in "${IMAGES[@]}"; do
  grep -q "/$image " <<<"$node_images" || { echo "image $image was not loaded into the node" >&2; exit 1; }
done
step "waiting for every Deployment and StatefulSet"
rolled_out

# 10. The Gateway is programmed and answers on the host, through the port mapping.
step "waiting for the Gateway at $BASE_URL"
kc wait gateway/ticketing --for=condition=Programmed --timeout=5m
for _ in $(seq 1 60); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/api/users/currentuser")" = 200 ]; then break; fi
  sleep 5
done
curl -fsS "$BASE_URL/api/users/currentuser" >/dev/null

# 11. The purchase tests through the Gateway; one of them kills pods mid-batch itself
# (e2e/cluster/pod-kill.cluster.ts), so it knows which purchases were in flight.
step "running the purchase tests against $BASE_URL"
E2E_BASE_URL="$BASE_URL" KUBE_CONTEXT="$CONTEXT" npm run test:cluster

# 12. After the kills, every workload is back and no pod is left failing.
step "checking every workload recovered"
rolled_out

# 13. The guide's exercises against the same cluster, through the Gateway: each fails on what
# the chapter says must not happen (a purchase left incomplete, a request failed during a
# rollout, data lost with a pod). They delete pods, scale and restart Deployments and edit a
# ConfigMap, each putting back what it changed; then every workload must be back once more.
for exercise in "${EXERCISES[@]}"; do
  step "exercise: scripts/exercises/$exercise"
  TICKETING_URL="$BASE_URL" KUBE_CONTEXT="$CONTEXT" "scripts/exercises/$exercise"
done
step "checking every workload recovered from the exercises"
rolled_out
step "the kind end-to-end run passed"
