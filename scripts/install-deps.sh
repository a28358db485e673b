#!/usr/bin/env bash
# Installs what Paz needs on Debian 12 (bookworm) with Node 20+, then builds it. Idempotent: apt runs
# only for packages that are missing, npm only when node_modules does not match package.json.
# Downloads come only from apt and npm.
#
#   scripts/install-deps.sh          # as root when packages are missing
#   scripts/install-deps.sh --bench  # also what `npm run bench` compares with (nginx-light)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[install-deps] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# docker.io: dockerd + CLI (pulls containerd, runc, tini, iptables)   haproxy: the router
# etcd-server, etcd-client: the clustered store                       docker-registry: local registry
# busybox-static: the hello example image                              socat: HAProxy's runtime API by hand
# iproute2: network namespaces (tests, multi-host harness)             curl: scripts' health probes
# chromium: the browser the dashboard's tests drive (playwright-core downloads none)
# zsh: the completion tests run `paz completion zsh` in zsh (without it they are skipped, as they were in CI)
PACKAGES=(docker.io haproxy etcd-server etcd-client docker-registry busybox-static socat iproute2 curl chromium zsh)
# --bench: also nginx-light, which only `npm run bench` uses (the router is compared with nginx). Opt-in: on a
# machine with systemd, Debian starts nginx on port 80, the port `paz up`'s router wants (stop and disable it).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(nginx-light)
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

command -v dpkg-query >/dev/null || die "this script supports Debian (dpkg/apt); install by hand: ${PACKAGES[*]}"

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run this script as root (or: sudo apt-get install ${missing[*]})"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # No daemon gets started: without systemd, Debian's policy-rc.d denies it; the scripts start what they need.
  if [ ! -d /run/systemd/system ]; then
    log "apt may print 'invoke-rc.d: policy-rc.d denied execution of start' (or 'could not determine current runlevel'):"
    log "  Debian's packages try to start their daemons (docker, etcd...), this machine has no systemd to run them,"
    log "  so the start is refused. That is expected and harmless: Paz's scripts start what Paz needs."
  fi
  apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

command -v node >/dev/null || die "node is missing: Paz needs Node.js 20.6 or newer"
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 6)) {
    console.error(`[install-deps] error: Node ${process.versions.node} is too old: Paz needs 20.6 or newer`);
    process.exit(1);
  }'
command -v npm >/dev/null || die "npm is missing"

cd "$repo_root"
# `npm ls` fails when a dependency is missing or does not satisfy package.json: only then install,
# so that re-running this script does not rebuild native modules (better-sqlite3 compiles for minutes).
if [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1; then
  log "node_modules: up to date"
elif [ -f package-lock.json ]; then
  # the lock's entries under "packages" other than the root "" are what npm ci installs
  count="$(node -e 'const l = require("./package-lock.json"); console.log(Object.keys(l.packages ?? {}).filter((k) => k !== "").length)' 2>/dev/null || echo '?')"
  log "npm ci: installing $count packages from package-lock.json; this takes a minute or two (better-sqlite3 may compile), npm prints little until it is done"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci
else
  log "npm install (no package-lock.json): installing the packages of package.json; this takes a minute or two"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install
fi

log "npm run build: compiling Paz and building the dashboard (about a minute)"
npm run build
log "done"
