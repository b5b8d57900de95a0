#!/usr/bin/env bash
# Exercise 1 of docs/guide/21-kubernetes-exercises.md, self-healing: APP's pod (default
# orders) is deleted while purchases run; its ReplicaSet makes a new one from the same
# template and every purchase completes. --force deletes it as a crash would (no grace period,
# no preStop pause). Usage: self-heal.sh [APP] [--force]. Environment: lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

app=orders
force=()
for arg in "$@"; do
  case $arg in
    --force) force=(--grace-period=0 --force) ;;
    -*) echo "usage: $0 [APP] [--force]" >&2; exit 2 ;;
    *) app=$arg ;;
  esac
done

read -ra old <<<"$(pods "$app")"
[ ${#old[@]} -gt 0 ] || fail "no pod is labelled app=$app"
delete() {
  kc delete pod "${old[@]}" --wait=false ${force[@]+"${force[@]}"}
  gone "${old[@]}"
  kc wait --for=condition=Ready pod -l "app=$app" --timeout=5m
}
say "deleting the $app pod ${old[*]} while purchases run"
during delete
say "the $app pod ${old[*]} was replaced by $(pods "$app"); every purchase completed"
