# shellcheck shell=bash
# What the exercise scripts that drive kubectl share; each sources it. They act on the kube
# context KUBE_CONTEXT (default: the current one) and buy through TICKETING_URL (default
# http://localhost:8080, where `skaffold dev` forwards the front door).
exercises=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URL=${TICKETING_URL:-http://localhost:8080}
said=$(mktemp)
trap 'rm -f "$said"' EXIT

kc() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
say() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# buy [buy.sh options]: purchases through the front door; what buy.sh says on stderr is also
# kept in $said, for checks of what was sent again.
buy() { "$exercises/buy.sh" --url "$URL" "$@" 2> >(tee -a "$said" >&2); }

# pods APP: the names of APP's pods (pods are labelled app=<name>).
pods() { kc get pods -l "app=$1" -o jsonpath='{.items[*].metadata.name}'; }

# gone POD...: waits until each named pod has been deleted.
gone() {
  local pod
  for pod in "$@"; do kc wait --for=delete "pod/$pod" --timeout=3m; done
}

# during COMMAND...: runs COMMAND while purchases go on, three at a time, round after round,
# and one round more once it is done; fails if it fails or a purchase does not complete.
during() {
  "$@" &
  local change=$!
  while kill -0 "$change" 2>/dev/null; do
    buy --count 3 --parallel 3 || fail "a purchase did not complete (above)"
  done
  wait "$change" || fail "$* failed"
  buy --count 3 --parallel 3 || fail "a purchase did not complete (above)"
}

# restart APP: a rolling restart of Deployment APP, until its old pods are gone.
restart() {
  local old
  read -ra old <<<"$(pods "$1")"
  kc rollout restart "deployment/$1"
  kc rollout status "deployment/$1" --timeout=5m
  gone "${old[@]}"
}

# jsz QUERY: NATS's JetStream report, from its monitoring port inside its pod (the image has wget).
jsz() { kc exec nats-0 -c nats -- wget -qO- "http://127.0.0.1:8222/jsz?$1"; }

# json EXPRESSION: the JavaScript EXPRESSION of `j`, the JSON read from stdin.
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const j = JSON.parse(s); console.log(new Function("j", "return " + process.argv[1])(j)); })' "$1"; }
