#!/usr/bin/env bash
# Installs what tsswarm's commands need on a fresh Debian machine (run as root):
# the npm packages from the lockfile, and Debian packages for the benchmarks' anchors.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
# The lab's demo and tests ping between hosts (namespaces) over the underlay.
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
# The wire test decodes the underlay with tshark; bench:dataplane measures with iperf3.
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
# A container's way out of a non-internal overlay is NAT on the gateway bridge, an nftables rule.
command -v nft >/dev/null 2>&1 || need+=(nftables)
# bench:gossip runs serf (HashiCorp memberlist) as its anchor.
command -v serf >/dev/null 2>&1 || need+=(serf)
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's etcd package starts a system etcd where systemd runs; the anchor starts its own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl stop etcd || true
  fi
fi

# node_modules matches the lockfile, or gets installed from it; then dist/, so that
# `npx tsswarm …` works from the repository root.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi

npm run -s build
