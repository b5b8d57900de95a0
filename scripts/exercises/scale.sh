#!/usr/bin/env bash
# Exercise 2 of docs/guide/21-kubernetes-exercises.md, scaling: orders at REPLICAS pods
# (default 3), twelve purchases, so twelve ticket.created events; each is handled by one pod,
# none twice, and NATS still has one durable consumer for them all. The count is put back at
# the end. Usage: scale.sh [REPLICAS]. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

replicas=${1:-3}
tickets=12

# handled RESULT: ticket.created events each orders pod counted as RESULT (handled or
# duplicate) since it started, one line per pod on stderr; their sum on stdout.
handled() {
  local pod n total=0
  for pod in $(pods orders); do
    n=$(kc exec "$pod" -c server -- node -e "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then(console.log)" |
      awk -v r="result=\"$1\"" '/^events_handled_total\{/ && /subject="ticket.created"/ && index($0, r) { s += $NF } END { print s + 0 }')
    echo "  pod/$pod $n" >&2
    total=$((total + n))
  done
  echo "$total"
}

was=$(kc get deployment orders -o jsonpath='{.spec.replicas}')
say "orders from $was to $replicas pods"
kc scale deployment/orders --replicas="$replicas"
kc rollout status deployment/orders --timeout=5m
kc wait --for=condition=Ready pod -l app=orders --timeout=5m
handled_before=$(handled handled 2>/dev/null)
duplicates_before=$(handled duplicate 2>/dev/null)

say "$tickets purchases: orders must know each ticket (ticket.created) before it is ordered"
buy --count "$tickets" --parallel 4
say "ticket.created handled per pod, since each started"
handled_after=$(handled handled)
duplicates_after=$(handled duplicate 2>/dev/null)
[ $((handled_after - handled_before)) -eq "$tickets" ] ||
  fail "the pods handled $((handled_after - handled_before)) ticket.created events, not $tickets"
[ "$duplicates_after" -eq "$duplicates_before" ] || fail "a ticket.created event was handled twice"
consumers=$(jsz consumers=true | grep -c '"name": "orders-ticket-created"' || true)
[ "$consumers" -eq 1 ] || fail "NATS has $consumers consumers named orders-ticket-created, not 1"

say "orders back to --replicas=$was"
kc scale deployment/orders --replicas="$was"
kc rollout status deployment/orders --timeout=5m
say "$tickets ticket.created events over $replicas pods, each handled once, through one durable consumer"
