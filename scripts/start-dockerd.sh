#!/usr/bin/env bash
# Makes sure a Docker daemon answers on the usual socket. On machines without systemd nothing starts
# dockerd, so when none answers this starts one in the background with Debian's defaults (its own
# containerd, /var/lib/docker, the docker0 bridge and iptables rules on this host), writes its PID
# file and waits until it answers. The test suite does not use this: it runs its own dockerd inside
# a network namespace (scripts/run-tests.mjs).
#
# Env (defaults are Debian's): DOCKER_SOCKET=/var/run/docker.sock  DOCKERD_PIDFILE=/var/run/docker.pid
#   DOCKERD_LOG=/var/log/dockerd.log  DOCKERD_ARGS="" (extra dockerd flags)  DOCKERD_WAIT_SECONDS=60
set -euo pipefail

socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
pidfile="${DOCKERD_PIDFILE:-/var/run/docker.pid}"
logfile="${DOCKERD_LOG:-/var/log/dockerd.log}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"
read -r -a extra_args <<< "${DOCKERD_ARGS:-}"

log() { printf '[start-dockerd] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

answers() {
  curl -fsS --max-time 2 --unix-socket "$socket" -o /dev/null http://localhost/_ping 2>/dev/null
}

wait_for_daemon() {
  local pid="$1"
  for _ in $(seq 1 $((wait_seconds * 5))); do
    if answers; then
      log "dockerd answers on $socket (PID $pid; stop it with: kill \$(cat $pidfile))"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd (PID $pid) exited; last lines of $logfile:"
      tail -n 20 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
  log "dockerd (PID $pid) did not answer on $socket within $wait_seconds s; last lines of $logfile:"
  tail -n 20 "$logfile" >&2 || true
  return 1
}

if answers; then
  log "dockerd already answers on $socket"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "no Docker daemon answers on $socket, and starting one needs root"
command -v dockerd >/dev/null || die "dockerd is not installed (run scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl is not installed (run scripts/install-deps.sh)"

# A daemon that is still starting (or wedged) already owns the PID file: wait for it, do not start a second.
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid="$(cat "$pidfile")"
  log "dockerd (PID $pid) is running but not answering yet; waiting"
  wait_for_daemon "$pid"
  exit $?
fi

mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
log "starting dockerd (log: $logfile)"
# setsid: a daemon of its own, not killed with this shell or by the terminal's Ctrl-C
setsid dockerd -H "unix://$socket" --pidfile "$pidfile" "${extra_args[@]}" >>"$logfile" 2>&1 < /dev/null &
pid=$!
wait_for_daemon "$pid"
