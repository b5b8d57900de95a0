#!/usr/bin/env bash
# Exercise 3 of docs/guide/21-kubernetes-exercises.md, a rolling update under purchases:
# `kubectl rollout restart` of APP (default orders) while purchases run. The Deployments roll
# out a new pod before taking an old one away (maxUnavailable 0), and the old one drains, so no
# request may fail: not one 5xx or cut connection that buy.sh had to send again, and every
# purchase completes. Usage: rollout.sh [APP]. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

app=${1:-orders}
say "deployment/$app's strategy: $(kc get deployment "$app" -o jsonpath='{.spec.strategy}')"
before=$(pods "$app")
during restart "$app"
if grep -E '(5[0-9][0-9]|000) on /' "$said"; then
  fail "requests failed during the rollout and were sent again (above)"
fi
say "$app rolled out from $before to $(pods "$app"); no request failed, every purchase completed"
