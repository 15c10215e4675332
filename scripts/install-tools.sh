#!/usr/bin/env bash
# Installs the external tools the test suites drive, at pinned versions, into
# .tools/bin (git-ignored). Idempotent: a tool already at its pinned version is
# skipped. Needs Go and its module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS/bin"

# name | module@version | binary
PINS=(
  "grpcurl|github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3|grpcurl"
)

for pin in "${PINS[@]}"; do
  IFS='|' read -r name module binary <<<"$pin"
  stamp="$TOOLS/$name.version"
  if [[ -x "$TOOLS/bin/$binary" && -f "$stamp" && "$(cat "$stamp")" == "$module" ]]; then
    echo "install-tools: $name already at ${module##*@}"
    continue
  fi
  echo "install-tools: installing $module"
  GOBIN="$TOOLS/bin" GOFLAGS="-trimpath" go install "$module"
  echo "$module" >"$stamp"
done
