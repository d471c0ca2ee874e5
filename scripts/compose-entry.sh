#!/bin/sh
# Entry point of the tsswarm image (Dockerfile, docker-compose.yml): runs this
# container's node daemon and makes the node a member of the compose cluster.
#
#   ROLE=init     create the swarm and publish its join tokens in $TOKENS_DIR
#   ROLE=manager  join $MANAGER as a manager, with $TOKENS_DIR/manager
#   ROLE=worker   join $MANAGER as a worker, with $TOKENS_DIR/worker
#
# A node whose data dir already holds a membership (a restarted container) skips
# init/join: the daemon resumes it by itself.
#
# `compose-entry.sh health` is the compose healthcheck: exit 0 once this node is an
# active member (and, for ROLE=init, once the tokens are published).
#
# POSIX sh, because Debian's /bin/sh is dash.
set -eu

ROLE=${ROLE:-}
TOKENS_DIR=${TOKENS_DIR:-/tokens}
MANAGER=${MANAGER:-m1:2377}
TSSWARM_DATA_DIR=${TSSWARM_DATA_DIR:-/var/lib/tsswarm}
TSSWARM_HOST=${TSSWARM_HOST:-unix:///run/tsswarm/tsswarm.sock}
export TSSWARM_HOST
SOCKET=${TSSWARM_HOST#unix://}
# How long to wait for the daemon's socket, m1's tokens and a join that the cluster
# refuses for now (m2 and m3 join at once, and Raft takes one membership change at a
# time), in polls of POLL seconds. 600 x 0.5 s = 5 minutes: a first `compose up` may
# build while m1 is already waiting; past that something is wrong and the container
# exits (and restarts, per the compose file) instead of hanging silently.
POLL=${POLL:-0.5}
TRIES=${TRIES:-600}
JOIN_TRIES=${JOIN_TRIES:-60}
JOIN_INTERVAL=${JOIN_INTERVAL:-2}

say() { echo "compose-entry ($ROLE): $*" >&2; }

# Prints the daemon's swarm state (the `swarm` header of GET /_ping: inactive,
# pending, active/manager, active/worker) or fails if nothing answers on the socket.
swarm_state() {
  node -e '
    const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => {
      res.resume();
      console.log(res.headers["swarm"] || "");
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => process.exit(1));' "$SOCKET"
}

if [ "${1:-}" = health ]; then
  state=$(swarm_state) || exit 1
  case $state in active/*) ;; *) exit 1 ;; esac
  if [ "$ROLE" = init ]; then
    [ -s "$TOKENS_DIR/worker" ] && [ -s "$TOKENS_DIR/manager" ] || exit 1
  fi
  exit 0
fi

case $ROLE in
  init | manager | worker) ;;
  *) echo "compose-entry: set ROLE to init, manager or worker (got \"$ROLE\")" >&2; exit 2 ;;
esac

# The address this node advertises: the container's address on the underlay. Docker
# writes it for our hostname into /etc/hosts; `ip` is the fallback.
advertise_addr() {
  if [ -n "${ADVERTISE_ADDR:-}" ]; then echo "$ADVERTISE_ADDR"; return; fi
  addr=$(hostname -i 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n 1) || true
  if [ -z "$addr" ]; then
    addr=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  fi
  [ -n "$addr" ] || { say "found no IPv4 address to advertise; set ADVERTISE_ADDR"; return 1; }
  echo "$addr"
}

# MANAGER as IP:port: the join needs m1's address, and Docker's DNS knows its name.
manager_addr() {
  host=${MANAGER%:*}
  port=${MANAGER##*:}
  [ "$port" != "$MANAGER" ] || port=2377
  ip=$(getent ahostsv4 "$host" | awk '{ print $1; exit }') || true
  [ -n "$ip" ] || { say "cannot resolve $host"; return 1; }
  echo "$ip:$port"
}

DAEMON_PID=
stopping=
stop() {
  stopping=1
  [ -z "$DAEMON_PID" ] || kill -TERM "$DAEMON_PID" 2>/dev/null || true
}
trap stop TERM INT

# Ends the container's setup: stop the daemon and leave with an error.
fail() {
  say "$*"
  stop
  [ -z "$DAEMON_PID" ] || wait "$DAEMON_PID" || true
  exit 1
}

ADDR=$(advertise_addr) || exit 1

# A node that is not yet a member is about to create a new cluster: tokens left in
# the shared volume by an earlier one would send the others to the wrong cluster.
member_file=$TSSWARM_DATA_DIR/swarm/state.json
if [ "$ROLE" = init ] && [ ! -e "$member_file" ]; then
  rm -f "$TOKENS_DIR/worker" "$TOKENS_DIR/manager"
fi

say "starting the daemon (data in $TSSWARM_DATA_DIR, API on $TSSWARM_HOST, advertising $ADDR)"
tsswarm daemon --data-dir "$TSSWARM_DATA_DIR" --host "$TSSWARM_HOST" &
DAEMON_PID=$!

i=0
until swarm_state >/dev/null 2>&1; do
  [ -z "$stopping" ] || fail "stopped while waiting for the daemon"
  kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon exited before its API answered on $SOCKET"
  i=$((i + 1))
  [ "$i" -lt "$TRIES" ] || fail "the daemon's API did not answer on $SOCKET"
  sleep "$POLL"
done

publish_token() {
  tmp="$TOKENS_DIR/.$1.$$"
  (umask 077 && tsswarm swarm join-token -q "$1" >"$tmp") || { rm -f "$tmp"; return 1; }
  # Renamed into place, so a joining node never reads half a token.
  mv -f "$tmp" "$TOKENS_DIR/$1"
}

if [ -e "$member_file" ]; then
  say "already a member (state in $member_file); the daemon resumes it"
elif [ "$ROLE" = init ]; then
  tsswarm swarm init --advertise-addr "$ADDR" || fail "swarm init failed"
fi

if [ "$ROLE" = init ]; then
  # Also after a restart: the tokens volume may be new, and publishing is idempotent.
  mkdir -p "$TOKENS_DIR"
  i=0
  until publish_token worker && publish_token manager; do
    [ -z "$stopping" ] || fail "stopped while publishing the join tokens"
    i=$((i + 1))
    [ "$i" -lt "$JOIN_TRIES" ] || fail "could not read the join tokens"
    sleep "$JOIN_INTERVAL"
  done
  say "join tokens published in $TOKENS_DIR"
elif [ ! -e "$member_file" ]; then
  token_file=$TOKENS_DIR/$ROLE
  i=0
  until [ -s "$token_file" ]; do
    [ -z "$stopping" ] || fail "stopped while waiting for $token_file"
    i=$((i + 1))
    [ "$i" -lt "$TRIES" ] || fail "no join token in $token_file; is m1 (ROLE=init) running?"
    sleep "$POLL"
  done
  i=0
  until target=$(manager_addr) &&
    tsswarm swarm join --token "$(cat "$token_file")" --advertise-addr "$ADDR" "$target"; do
    [ -z "$stopping" ] || fail "stopped while joining"
    i=$((i + 1))
    [ "$i" -lt "$JOIN_TRIES" ] || fail "could not join $MANAGER as a $ROLE"
    say "join refused for now; trying again in ${JOIN_INTERVAL}s"
    sleep "$JOIN_INTERVAL"
  done
  say "joined $MANAGER as a $ROLE"
fi

# A trapped signal ends `wait` early; wait again until the daemon has really stopped.
status=0
while :; do
  if wait "$DAEMON_PID"; then status=0; else status=$?; fi
  kill -0 "$DAEMON_PID" 2>/dev/null || break
done
say "the daemon exited with status $status"
exit "$status"
