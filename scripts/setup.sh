#!/usr/bin/env bash
# One-command set-up of a Paz host on Debian 12: installs the packages and node modules, builds Paz,
# makes sure dockerd runs, then starts `paz up` in the background (PID and log in the data dir).
#
#   sudo scripts/setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"

"$here/install-deps.sh"
"$here/start-dockerd.sh"

# The `paz` command on the PATH (as root; otherwise use node bin/paz.js).
if [ "$(id -u)" -eq 0 ]; then
  target="$(readlink -f /usr/local/bin/paz 2>/dev/null || true)"
  if [ ! -e /usr/local/bin/paz ] || [ "$target" = "$repo_root/bin/paz.js" ]; then
    ln -sf "$repo_root/bin/paz.js" /usr/local/bin/paz
    printf '[setup] paz command: /usr/local/bin/paz -> %s/bin/paz.js\n' "$repo_root" >&2
  else
    printf '[setup] /usr/local/bin/paz exists and is not this checkout; use node %s/bin/paz.js\n' "$repo_root" >&2
  fi
fi

# Start Paz (control plane + agent + router) in the background, unless it already answers.
data_dir="${PAZ_DATA_DIR:-$HOME/.paz}"
mkdir -p "$data_dir"
pid_file="$data_dir/paz-up.pid"
log_file="$data_dir/paz-up.log"
orchestrator="http://127.0.0.1:${PAZ_ORCHESTRATOR_PORT:-9000}"
if curl -fsS -m 2 "$orchestrator/health" >/dev/null 2>&1; then
  printf '[setup] Paz already answers at %s\n' "$orchestrator" >&2
else
  nohup node "$repo_root/bin/paz.js" up --data-dir "$data_dir" >>"$log_file" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 100); do
    curl -fsS -m 2 "$orchestrator/health" >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      printf '[setup] paz up exited; its log:\n' >&2
      tail -n 40 "$log_file" >&2
      exit 1
    fi
    sleep 0.2
  done
  curl -fsS -m 2 "$orchestrator/health" >/dev/null || { printf '[setup] Paz did not answer at %s; see %s\n' "$orchestrator" "$log_file" >&2; exit 1; }
  printf '[setup] paz up is running (PID %s, log %s); API at %s, reference at %s/docs\n' "$(cat "$pid_file")" "$log_file" "$orchestrator" "$orchestrator" >&2
  printf '[setup] stop it with: kill $(cat %s)\n' "$pid_file" >&2
  printf '[setup] API token (admin): %s/admin-token; the paz CLI sends it by itself, curl needs -H "Authorization: Bearer $(cat %s/admin-token)"\n' "$data_dir" "$data_dir" >&2
fi

printf '[setup] done\n' >&2
