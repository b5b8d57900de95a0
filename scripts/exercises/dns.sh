#!/usr/bin/env bash
# Exercise 5 of docs/guide/21-kubernetes-exercises.md, service discovery by DNS: from a
# throwaway pod (busybox, from Docker Hub), `orders` resolves to its Service's virtual address,
# `nats` (headless) to the pod nats-0 itself, and orders answers by name; the services are
# configured with names, never addresses. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

say "the Services"
kc get services orders nats orders-postgres
for name in nats orders-postgres; do
  [ "$(kc get service "$name" -o jsonpath='{.spec.clusterIP}')" = None ] || fail "$name is not headless"
done

pod="dns-check-$$"
say "from pod $pod"
kc run "$pod" --restart=Never --image=busybox:1.28 --command -- \
  sh -c 'nslookup orders; nslookup nats; wget -qO- http://orders:3000/readyz; echo'
for _ in $(seq 90); do
  case $(kc get pod "$pod" -o jsonpath='{.status.phase}') in Succeeded | Failed) break ;; esac
  sleep 2
done
out=$(kc logs "$pod")
kc delete pod "$pod" --wait=false
echo "$out"
grep -q "orders\.[a-z0-9-]*\.svc\.cluster\.local" <<<"$out" || fail "orders did not resolve to its Service"
grep -q "nats-0\.nats\.[a-z0-9-]*\.svc\.cluster\.local" <<<"$out" || fail "nats did not resolve to the pod nats-0"
grep -q '"status":"ready"' <<<"$out" || fail "http://orders:3000/readyz did not answer ready"

nats_url=$(kc exec deployment/orders -c server -- printenv NATS_URL)
echo "orders' NATS_URL: $nats_url"
[ "$nats_url" = nats://nats:4222 ] || fail "orders reaches NATS at $nats_url, not by its name"
say "names resolve inside the cluster; orders is configured with them"
