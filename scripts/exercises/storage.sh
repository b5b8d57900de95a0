#!/usr/bin/env bash
# Exercise 4 of docs/guide/21-kubernetes-exercises.md, storage: nats-0 and orders-postgres-0
# deleted at once. Their StatefulSets make them again under the same names, on the same
# claims, so every order, every durable consumer and every event is still there; the services
# wait, unready, without a restart, and purchases go on. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

stateful=(nats-0 orders-postgres-0)
services='app in (auth,tickets,orders,expiration,payments)'
orders() {
  kc exec orders-postgres-0 -c postgres -- psql -U orders -d orders -tAc \
    "select count(*) || ' orders, ids md5 ' || md5(coalesce(string_agg(id::text, ',' order by id), '')) from orders"
}
consumers() {
  jsz consumers=true | json 'j.account_details.flatMap((a) => a.stream_detail ?? []).flatMap((s) => s.consumer_detail ?? [])
    .filter((c) => c.config?.durable_name).map((c) => c.name).sort().join(" ")'
}
messages() { jsz "" | json j.messages; }
claims() { kc get pvc "${stateful[@]/#/data-}" -o jsonpath='{.items[*].metadata.uid}'; }
restarts() { kc get pods -l "$services" -o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[0].restartCount}{"\n"}{end}'; }

# replaced POD UID: waits until POD is a pod other than UID (a StatefulSet's replacement keeps
# the name) and is ready.
replaced() {
  local now
  for _ in $(seq 180); do
    now=$(kc get pod "$1" -o jsonpath='{.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$now" != "${now%% *} True" ] || [ "${now%% *}" = "$2" ] || return 0
    sleep 2
  done
  fail "$1 was not replaced by a ready pod within 6 minutes"
}

buy --count 2 --parallel 2
say "what is stored"
kc get pvc -l app.kubernetes.io/part-of=ticketing
orders_before=$(orders)
consumers_before=$(consumers)
messages_before=$(messages)
claims_before=$(claims)
restarts_before=$(restarts)
echo "$orders_before; $messages_before events; durable consumers: $consumers_before"
read -ra uids <<<"$(kc get pod "${stateful[@]}" -o jsonpath='{.items[*].metadata.uid}')"

say "deleting ${stateful[*]}"
kc delete pod "${stateful[@]}" --wait=false
for i in "${!stateful[@]}"; do replaced "${stateful[$i]}" "${uids[$i]}"; done
kc wait --for=condition=Ready pod -l "$services" --timeout=5m

say "what is stored now"
orders_after=$(orders)
consumers_after=$(consumers)
messages_after=$(messages)
echo "$orders_after; $messages_after events; durable consumers: $consumers_after"
[ "$(claims)" = "$claims_before" ] || fail "the pods came back on other claims"
[ "$orders_after" = "$orders_before" ] || fail "orders changed: $orders_before, now $orders_after"
[ "$consumers_after" = "$consumers_before" ] || fail "the durable consumers changed"
[ "$messages_after" -ge "$messages_before" ] || fail "the stream lost events: $messages_before, now $messages_after"
[ "$(restarts)" = "$restarts_before" ] || fail "a service restarted: $(restarts)"
buy
say "${stateful[*]} came back on their claims with every order, consumer and event; no service restarted"
