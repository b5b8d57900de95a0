#!/usr/bin/env bash
# Exercise 6 of docs/guide/21-kubernetes-exercises.md, config and secrets: orders reads
# EXPIRATION_WINDOW_SECONDS from its hashed ConfigMap once, at start. Edited in place, the
# ConfigMap changes nothing in the running pod; a rollout restart brings the new value; then
# the value is put back. DATABASE_URL comes from a Secret, base64 and not encrypted, that names
# the database's Service. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

running() { kc exec deployment/orders -c server -- printenv EXPIRATION_WINDOW_SECONDS; }
window() {
  kc patch configmap "$configmap" --type merge -p "{\"data\":{\"EXPIRATION_WINDOW_SECONDS\":\"$1\"}}"
}

say "the ConfigMaps, each named with a hash of its content"
kc get configmaps
configmap=$(kc get deployment orders -o jsonpath='{.spec.template.spec.containers[?(@.name=="server")].envFrom[*].configMapRef.name}' |
  tr ' ' '\n' | grep '^orders-config-') || fail "orders reads no orders-config ConfigMap"
was=$(kc get configmap "$configmap" -o jsonpath='{.data.EXPIRATION_WINDOW_SECONDS}')
echo "orders reads $configmap: EXPIRATION_WINDOW_SECONDS=$was"
[ "$(running)" = "$was" ] || fail "the orders pod runs with $(running), not $was"
new=60
[ "$was" != 60 ] || new=120

say "$configmap edited in place: $new"
window "$new"
[ "$(running)" = "$was" ] || fail "the running pod changed without a restart"
echo "the running pod still has $was"
restart orders
[ "$(running)" = "$new" ] || fail "after the restart, orders runs with $(running), not $new"
echo "after a rollout restart: $new"

say "putting $was back"
window "$was"
restart orders
[ "$(running)" = "$was" ] || fail "orders runs with $(running), not $was"

say "the Secret orders' DATABASE_URL comes from"
secret=$(kc get deployment orders -o jsonpath='{.spec.template.spec.containers[?(@.name=="server")].env[?(@.name=="DATABASE_URL")].valueFrom.secretKeyRef.name}')
url=$(kc get secret "$secret" -o jsonpath='{.data.DATABASE_URL}' | base64 -d)
echo "$secret: DATABASE_URL=${url%%:*}://orders:…@${url#*@}"
[[ $url == postgres://orders:*@orders-postgres:5432/orders ]] || fail "DATABASE_URL does not name orders-postgres:5432"
say "configuration is read at start; the Secret holds the database's name and password, base64-encoded"
