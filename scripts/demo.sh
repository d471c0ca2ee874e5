#!/usr/bin/env bash
# The main job: a local multi-host lab (3 managers + 2 workers, each host a network
# namespace with its own daemon), node ls from a worker, an overlay network created and
# inspected, and two containers on different hosts that ping each other by name over it.
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
step tsswarm lab exec w2 -- tsswarm network create -d overlay --attachable app-overlay
ts lab exec --name "$name" w2 -- tsswarm network create -d overlay --attachable app-overlay
step tsswarm lab exec m3 -- tsswarm network ls
ts lab exec --name "$name" m3 -- tsswarm network ls
step "tsswarm lab exec m2 -- tsswarm network inspect app-overlay"
ts lab exec --name "$name" m2 -- tsswarm network inspect app-overlay
step "tsswarm lab exec w1 -- docker network inspect app-overlay --format '{{.Driver}} {{json .IPAM.Config}}'"
ts lab exec --name "$name" w1 -- docker network inspect app-overlay --format '{{.Driver}} {{json .IPAM.Config}}'
step "tsswarm lab exec w1 -- tsswarm run -d --name web --network app-overlay -- sleep 600"
ts lab exec --name "$name" w1 -- tsswarm run -d --name web --network app-overlay -- sleep 600 >/dev/null
step "tsswarm lab exec w2 -- tsswarm run -d --name client --network app-overlay -- sleep 600"
ts lab exec --name "$name" w2 -- tsswarm run -d --name client --network app-overlay -- sleep 600 >/dev/null
ts lab exec --name "$name" w2 -- tsswarm ps
step "tsswarm lab exec w2 -- tsswarm exec client -- ping -c 3 web   # container to container, host to host, over VXLAN, by name"
for i in $(seq 1 20); do
  ts lab exec --name "$name" w2 -- tsswarm exec client -- getent hosts web >/dev/null 2>&1 && break
  sleep 0.5
done
ts lab exec --name "$name" w2 -- tsswarm exec client -- ping -c 3 -W 2 web
