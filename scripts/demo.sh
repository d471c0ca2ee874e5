#!/usr/bin/env bash
# The main job: a local multi-host lab (3 managers + 2 workers, each host a network
# namespace with its own daemon), node ls from a worker, an overlay network created and
# inspected, and a ping between hosts across the lab's underlay.
# KEEP=1 leaves the lab up for exploring (`npx tsswarm lab exec w1 -- tsswarm node ls`).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${LAB_NAME:-demo}"
ts() { node dist/cli/tsswarm.js "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

if [ "${KEEP:-0}" != 1 ]; then trap 'echo; echo "(removing the lab; KEEP=1 keeps it)"; ts lab down --name "$name" >/dev/null || true' EXIT; fi

step tsswarm lab up --name "$name" --managers 3 --workers 2
ts lab up --name "$name" --managers 3 --workers 2
step tsswarm lab exec w1 -- tsswarm node ls
ts lab exec --name "$name" w1 -- tsswarm node ls
step tsswarm lab exec w1 -- docker node ls
ts lab exec --name "$name" w1 -- docker node ls
step tsswarm lab exec w2 -- tsswarm network create -d overlay --attachable --opt encrypted app-overlay
ts lab exec --name "$name" w2 -- tsswarm network create -d overlay --attachable --opt encrypted app-overlay
step tsswarm lab exec m3 -- tsswarm network ls
ts lab exec --name "$name" m3 -- tsswarm network ls
step "tsswarm lab exec m2 -- tsswarm network inspect app-overlay"
ts lab exec --name "$name" m2 -- tsswarm network inspect app-overlay
step "tsswarm lab exec w1 -- docker network inspect app-overlay --format '{{.Driver}} {{json .IPAM.Config}}'"
ts lab exec --name "$name" w1 -- docker network inspect app-overlay --format '{{.Driver}} {{json .IPAM.Config}}'
w2ip="$(ts lab ls --name "$name" | awk '$1 == "w2" { print $3 }')"
step "tsswarm lab exec w1 -- ping -c 3 $w2ip   # host to host across the lab's underlay"
ts lab exec --name "$name" w1 -- ping -c 3 -W 2 "$w2ip"
