#!/usr/bin/env bash
# The README's dashboard picture, taken from the quickstart itself: the controller with the demo fleet exactly as
# the README's quickstart starts it (gRPC :7000, HTTP :7001), then headless Chromium's --screenshot of the dashboard
# once the history holds a few minutes, a capacity step (every 60 s) among them.
#   docs/dashboard-screenshot.sh [OUT.png]      (default docs/dashboard.png; WAIT=seconds before the picture, default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/dashboard.png}
wait_s=${WAIT:-200}
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
url=http://127.0.0.1:7001

if curl -s -o /dev/null --max-time 2 "$url/healthz"; then
  echo "error: something already answers on $url; stop it first (the quickstart needs :7000 and :7001)" >&2
  exit 1
fi

log=$(mktemp)
# Its own process group, so the controller that `dotnet run` starts ends with it.
setsid dotnet run --project controller/Robinhood.Controller -c Release -- --Robinhood:Demo:Endpoints=24 >"$log" 2>&1 &
group=$!
trap 'kill -- -"$group" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 300); do
  curl -sf --max-time 2 "$url/readyz" >/dev/null && break
  kill -0 "$group" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
curl -sf --max-time 2 "$url/readyz" >/dev/null || { echo "error: the controller was not ready within 300 s" >&2; cat "$log" >&2; exit 1; }

sleep "$wait_s"
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --window-size=1280,1560 \
  --virtual-time-budget=4000 --screenshot="$out" "$url/dashboard"
echo "wrote $out"
