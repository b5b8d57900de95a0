#!/usr/bin/env bash
# Purchases through the front door, as a browser would make them: for each, a seller and a
# buyer of its own sign up, the seller sells a ticket, the buyer orders it, pays with the
# sandbox token and waits for the order to be complete. One line per purchase,
#   order 5b0c...: placed 201, paid 201, complete
# then a summary; exits 1 if any purchase did not complete within --timeout, 2 if nothing
# answers at --url. docs/guide/21-kubernetes-exercises.md runs it against a cluster;
# e2e/exercises.e2e.test.ts against the whole system on a laptop, without a cluster.
#
# An answer that means "not yet" is sent again, once a second, and said on stderr when it
# first comes ("  502 on /api/orders, again"):
#   404          an event has not reached the service yet (orders learns tickets from ticket.created)
#   502 503 504  no ready pod (process) behind the path, or payments could not ask orders
#   429          a rate limit (the dev overlay's are loose)
#   000          no answer at all: the connection was refused or cut
# A request whose answer was lost may have gone through: an order placed again answers 409
# (then the buyer's order for the ticket is looked up), a payment made again 400 (already
# paid), and the order completes all the same.
#
# Needs bash, curl and node (for reading JSON).
set -euo pipefail

usage="usage: $0 [--url URL] [--count N] [--parallel P] [--timeout SECONDS]"
url=${TICKETING_URL:-http://localhost:8080}
count=1
parallel=1
timeout=120
run="$(date +%s)-$$"
one=""
while [ $# -gt 0 ]; do
  case $1 in
    --url) url=${2%/} ;;
    --count) count=$2 ;;
    --parallel) parallel=$2 ;;
    --timeout) timeout=$2 ;;
    --run) run=$2 ;;  # with --one: the name the parent run gives its users
    --one) one=$2 ;;  # one purchase, numbered: what the parent runs in parallel
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift 2 || { echo "$usage" >&2; exit 2; }
done
for n in "$count" "$parallel" "$timeout"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$usage (counts and seconds are whole numbers from 1)" >&2; exit 2; }
done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# request USER METHOD PATH [BODY]: one request with USER's cookies; the body goes to
# $dir/USER.out, the status to stdout (000 when nothing answered).
request() {
  local user=$1 method=$2 path=$3 body=${4-}
  local args=(-s -o "$dir/$user.out" -w '%{http_code}' -b "$dir/$user.jar" -c "$dir/$user.jar" -X "$method" --max-time 30)
  [ -z "$body" ] || args+=(-H 'content-type: application/json' --data "$body")
  curl "${args[@]}" "$url$path" || true
}

# again USER METHOD PATH [BODY]: request, sent again while the answer means "not yet" and the
# purchase has time left; the last status to stdout.
again() {
  local code said=""
  while :; do
    code=$(request "$@")
    case $code in 404 | 429 | 502 | 503 | 504 | 000) ;; *) break ;; esac
    [ "$SECONDS" -lt "$deadline" ] || break
    [ "$code" = "$said" ] || echo "  $code on $3, again" >&2
    said=$code
    sleep 1
  done
  echo "$code"
}

# field USER KEY: KEY of the JSON object USER was last answered.
field() {
  node -e 'const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(b[process.argv[2]] ?? ""))' \
    "$dir/$1.out" "$2" 2>/dev/null || true
}

# order_of USER TICKET: the id of USER's order for TICKET, from their last GET /api/orders.
order_of() {
  node -e 'const all = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(all.find((o) => o.ticket.id === process.argv[2])?.id ?? "")' \
    "$dir/$1.out" "$2" 2>/dev/null || true
}

signup() {
  again "$1" POST /api/users/signup "{\"email\":\"$1@example.com\",\"password\":\"correct horse\"}"
}

# One purchase; exit status 0 once its order is complete.
buy() {
  local seller="seller-$run-$1" buyer="buyer-$run-$1" code ticket order placed paid status=""
  deadline=$((SECONDS + timeout))
  not_complete() { echo "purchase $1: not complete: $2"; exit 1; }

  code=$(signup "$seller"); [ "$code" = 201 ] || not_complete "$1" "the seller's sign-up answered $code"
  code=$(signup "$buyer"); [ "$code" = 201 ] || not_complete "$1" "the buyer's sign-up answered $code"
  code=$(again "$seller" POST /api/tickets '{"title":"Front row","price":50}')
  [ "$code" = 201 ] || not_complete "$1" "selling the ticket answered $code"
  ticket=$(field "$seller" id)

  placed=$(again "$buyer" POST /api/orders "{\"ticketId\":\"$ticket\"}")
  case $placed in
    201) order=$(field "$buyer" id) ;;
    409) again "$buyer" GET /api/orders >/dev/null; order=$(order_of "$buyer" "$ticket") ;;
  esac
  [ -n "${order:-}" ] || not_complete "$1" "ordering the ticket answered $placed"

  paid=$(again "$buyer" POST /api/payments "{\"orderId\":\"$order\",\"token\":\"tok_visa\"}")
  while :; do
    code=$(again "$buyer" GET "/api/orders/$order")
    [ "$code" != 200 ] || status=$(field "$buyer" status)
    case $status in complete | cancelled) break ;; esac
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 1
  done
  echo "order $order: placed $placed, paid $paid, ${status:-unknown}"
  [ "$status" = complete ] || {
    echo "order $order did not complete within $timeout s (placed $placed, paid $paid, last GET $code)" >&2
    exit 1
  }
}

if [ -n "$one" ]; then
  buy "$one"
  exit
fi

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/api/users/currentuser" || true)
if [ "$code" = 000 ]; then
  echo "nothing answers at $url: is the front door there (skaffold dev, or kubectl port-forward service/front-door 8080:8080)?" >&2
  exit 2
fi

# Each purchase in a process of its own, --parallel at a time; each prints its own line.
seq 1 "$count" | xargs -n 1 -P "$parallel" "$BASH" "$0" --url "$url" --timeout "$timeout" --run "$run" --one |
  tee "$dir/purchases" || true
complete=$(grep -c ', complete$' "$dir/purchases" || true)
purchases="$count purchases"
[ "$count" -gt 1 ] || purchases="1 purchase"
if [ "$complete" -eq "$count" ]; then
  echo "$purchases, all complete"
else
  echo "$purchases, $complete complete, $((count - complete)) not"
  exit 1
fi
