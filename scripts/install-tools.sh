#!/usr/bin/env bash
# Installs the external tools the test suites drive, at pinned versions, into
# .tools/bin (git-ignored). Idempotent: a tool already at its pinned version is
# skipped. Needs Go and its module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS/bin"

# name | module@version | binary | [module root:file that must hold the version]
PINS=(
  "grpcurl|github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3|grpcurl|"
  # FerretDB v1 (SQLite backend): the MongoDB wire-protocol server the MongoDB suites start
  # when MONGODB_URI is unset. Its binary refuses to start unless build/version/version.txt,
  # which its release tooling generates, holds the version; so it is built from the module's
  # source (fetched and checksum-verified by `go mod download`) with that file written.
  "ferretdb|github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2|ferretdb|github.com/FerretDB/FerretDB:build/version/version.txt"
  # Jaeger v1 all-in-one (OTLP receiver, in-memory storage, query API) for the tracing suite.
  # v1.48.0 is the last v1 whose go.mod has no replace directives, which `go install pkg@version` refuses.
  "jaeger|github.com/jaegertracing/jaeger/cmd/all-in-one@v1.48.0|all-in-one|"
)
# promtool checks the PromQL of the alert rules and the dashboard (observability/). Its first build
# pulls in every service-discovery SDK and takes minutes; Go's build cache makes later ones quick.
PINS+=("promtool|github.com/prometheus/prometheus/cmd/promtool@v0.316.0|promtool|")

# go install from a writable copy of the module's source, with the version written into $2's file.
install_with_version_file() {
  local module="$1" root="${2%%:*}" file="${2#*:}"
  local version="${module##*@}" package="${module%@*}"
  local source work
  source=$(go mod download -json "$root@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$source" ]] || { echo "install-tools: go mod download $root@$version failed" >&2; return 1; }
  work=$(mktemp -d)
  cp -R "$source/." "$work/"
  chmod -R u+w "$work"
  echo "$version" >"$work/$file"
  (cd "$work" && GOBIN="$TOOLS/bin" GOFLAGS="-trimpath -buildvcs=false" go install "./${package#"$root"/}")
  rm -rf "$work"
}

for pin in "${PINS[@]}"; do
  IFS='|' read -r name module binary version_file <<<"$pin"
  stamp="$TOOLS/$name.version"
  if [[ -x "$TOOLS/bin/$binary" && -f "$stamp" && "$(cat "$stamp")" == "$module" ]]; then
    echo "install-tools: $name already at ${module##*@}"
    continue
  fi
  echo "install-tools: installing $module"
  if [[ -z "$version_file" ]]; then
    GOBIN="$TOOLS/bin" GOFLAGS="-trimpath" go install "$module"
  else
    install_with_version_file "$module" "$version_file"
  fi
  echo "$module" >"$stamp"
done
