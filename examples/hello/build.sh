#!/usr/bin/env bash
# Builds the paz/hello example images locally (nothing is pulled from the internet) and optionally
# pushes them to a registry.
#
#   examples/hello/build.sh                    # builds paz/hello:1 and paz/hello:2
#   examples/hello/build.sh 127.0.0.1:5000     # ... also tags and pushes
#                                              #   127.0.0.1:5000/paz/hello:1, 127.0.0.1:5000/paz/hello:2,
#                                              #   127.0.0.1:5000/lukebond/contrived-service-1:0.0.1 (= :1, for
#                                              #   the seed walkthrough) and ...:latest
#
# The image is FROM scratch: Debian's static busybox (package busybox-static), its applet symlinks and
# the files under ./rootfs. Uses the docker CLI, so DOCKER_HOST selects the daemon.
#
# When REGISTRY is 127.0.0.1:5000 and nothing answers there, Debian's docker-registry is started in the
# background (data and PID file in $PAZ_REGISTRY_DIR, default <repo>/.paz/registry).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
registry="${1:-}"

log() { printf '[hello/build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "the docker CLI is missing (apt-get install docker.io)"

busybox_bin=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [ -x "$candidate" ]; then busybox_bin="$candidate"; break; fi
done
[ -n "$busybox_bin" ] || die "busybox is missing (apt-get install busybox-static)"
# A dynamically linked busybox (Debian's 'busybox' package) cannot run in a FROM-scratch image.
if ldd "$busybox_bin" >/dev/null 2>&1; then
  die "$busybox_bin is dynamically linked; install busybox-static instead of busybox"
fi

registry_answers() {
  curl -fsS --max-time 2 -o /dev/null "http://$1/v2/" 2>/dev/null
}

start_local_registry() {
  local dir="${PAZ_REGISTRY_DIR:-$repo_root/.paz/registry}"
  command -v docker-registry >/dev/null || die "no registry at 127.0.0.1:5000 and docker-registry is not installed"
  mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
EOF
  # setsid: the registry outlives this script and does not get the terminal's Ctrl-C
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$dir/registry.pid"
  for _ in $(seq 1 100); do
    if registry_answers 127.0.0.1:5000; then
      log "started docker-registry on 127.0.0.1:5000 (PID $(cat "$dir/registry.pid"), data in $dir/data)"
      log "stop it with: kill \$(cat $dir/registry.pid)"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
      die "docker-registry exited; see $dir/registry.log"
    fi
    sleep 0.2
  done
  die "docker-registry did not answer on 127.0.0.1:5000 within 20 s; see $dir/registry.log"
}

if [ -n "$registry" ] && ! registry_answers "$registry"; then
  if [ "$registry" = "127.0.0.1:5000" ]; then
    start_local_registry
  else
    die "no registry answers at http://$registry/v2/"
  fi
fi

# Stage the image's root filesystem in a temp dir.
ctx="$(mktemp -d "${TMPDIR:-/tmp}/paz-hello-build.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs"
cp -a "$here/rootfs/." "$ctx/rootfs/"
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp"
chmod 1777 "$ctx/rootfs/tmp"
# httpd runs only executable CGIs; do not depend on the checkout keeping the mode bits
chmod 755 "$ctx/rootfs/app/start.sh" "$ctx/rootfs/www/cgi-bin/"*
cp "$busybox_bin" "$ctx/rootfs/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
# the build context holds only the Dockerfile and the tarball (staging files and logs stay outside it)
mkdir -p "$ctx/context"
tar -C "$ctx/rootfs" --owner=0 --group=0 --numeric-owner -cf "$ctx/context/rootfs.tar" .
cp "$here/Dockerfile" "$ctx/context/Dockerfile"

# The legacy builder: dockerd 20.10 from Debian has no BuildKit/buildx here, and FROM scratch needs nothing else.
export DOCKER_BUILDKIT=0
for n in 1 2; do
  log "building paz/hello:$n"
  # output only on failure: newer CLIs print a deprecation note for the legacy builder every time
  if ! docker build --quiet --build-arg "HELLO_N=$n" -t "paz/hello:$n" "$ctx/context" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    die "docker build of paz/hello:$n failed"
  fi
done

if [ -n "$registry" ]; then
  targets=(
    "paz/hello:1=$registry/paz/hello:1"
    "paz/hello:2=$registry/paz/hello:2"
    "paz/hello:1=$registry/lukebond/contrived-service-1:0.0.1"
    "paz/hello:1=$registry/lukebond/contrived-service-1:latest"
  )
  for pair in "${targets[@]}"; do
    src="${pair%%=*}"
    dst="${pair#*=}"
    docker tag "$src" "$dst"
    log "pushing $dst"
    if ! docker push "$dst" >"$ctx/push.log" 2>&1; then
      cat "$ctx/push.log" >&2
      die "docker push $dst failed"
    fi
  done
fi

log "done: paz/hello:1 paz/hello:2${registry:+ (pushed to $registry)}"
