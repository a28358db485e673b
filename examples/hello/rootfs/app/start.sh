#!/bin/sh
# Entry point of the paz/hello image.
#   GET /              -> "Hello World $HELLO_N"
#   GET /health        -> 200 "ok", or 404 when HEALTHY=false (remove /www/health at run time to flip it)
#   GET /cgi-bin/slow  -> sleeps $SLOW_MS ms (or ?ms=N) then "slow done" (holds a request open for drain tests)
# busybox httpd does not handle SIGTERM itself when it is PID 1, so this shell stays in front of it,
# traps SIGTERM/SIGINT and stops httpd: the container exits promptly with or without Docker's --init.
set -u
port="${PORT:-9000}"

printf 'Hello World %s\n' "${HELLO_N:-1}" > /www/index.html
if [ "${HEALTHY:-true}" = "false" ]; then
  rm -f /www/health
else
  printf 'ok\n' > /www/health
fi

# -vv: one line per request on stderr (shows up in `docker logs`, demultiplexed as stderr)
httpd -f -vv -p "$port" -h /www &
httpd_pid=$!
trap 'kill -TERM "$httpd_pid" 2>/dev/null; wait "$httpd_pid"; exit 0' TERM INT

# Announce only once the port is open, so "listening" in the logs means it.
tries=0
while [ "$tries" -lt 100 ] && ! netstat -ltn 2>/dev/null | grep -q "[:.]$port "; do
  if ! kill -0 "$httpd_pid" 2>/dev/null; then break; fi
  sleep 0.05
  tries=$((tries + 1))
done
echo "Your server is listening at http://localhost:$port/"

wait "$httpd_pid"
exit $?
