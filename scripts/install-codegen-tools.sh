#!/usr/bin/env bash
# Installs, at pinned versions, what generating and testing the Go and Python clients
# and the OpenAPI description needs (buf.gen.clients.yaml, test/interop/):
#   .tools/bin/protoc-gen-go, protoc-gen-go-grpc    Go messages and grpc-go stubs (clients/go)
#   .tools/bin/protoc-gen-connect-openapi           the OpenAPI description of the Connect JSON API (openapi/)
#   .tools/python/                                  a venv with grpcio-tools (protoc and the Python plugins),
#                                                   grpcio and protobuf, and clients/python installed editable
# and warms Go's module and build caches for clients/go, so the Go interop test builds in seconds.
# Idempotent: a part whose pins are unchanged is skipped. Needs Go (the module proxy) and Python 3.10+
# with venv and pip (PyPI). Set PYTHON to choose the interpreter (python3 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS/bin"

# name | module@version | binary | how: install (go install) or source (build from the module's own go.mod and go.sum)
GO_PINS=(
  "protoc-gen-go|google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12|protoc-gen-go|install"
  "protoc-gen-go-grpc|google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2|protoc-gen-go-grpc|install"
  # The proxy lists no versions of this module, so `go install module@version` fails on its deprecation
  # lookup; the pinned version is downloaded (checksum-verified) and built with its own go.sum instead.
  "protoc-gen-connect-openapi|github.com/sudorandom/protoc-gen-connect-openapi@v0.25.6|protoc-gen-connect-openapi|source"
)
PYTHON_REQUIREMENTS=clients/python/requirements-dev.txt

started=$SECONDS
log() { echo "install-codegen-tools: $*"; }

# Runs "$@" and says every 30 s that it still is, so a long first build does not look stuck.
with_progress() {
  local what="$1"
  shift
  "$@" &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if ((waited % 30 == 0)); then log "  still $what (${waited}s)"; fi
  done
  wait "$pid"
}

build_from_source() {
  local module="$1" dir
  dir=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$dir" ]] || { log "go mod download $module failed" >&2; return 1; }
  (cd "$dir" && GOBIN="$TOOLS/bin" GOFLAGS="-trimpath -mod=readonly" go install .)
}

for pin in "${GO_PINS[@]}"; do
  IFS='|' read -r name module binary how <<<"$pin"
  stamp="$TOOLS/$name.version"
  if [[ -x "$TOOLS/bin/$binary" && -f "$stamp" && "$(cat "$stamp")" == "$module" ]]; then
    log "$name already at ${module##*@}"
    continue
  fi
  log "building $module (the first Go build on a machine takes a minute or more)"
  t=$SECONDS
  if [[ "$how" == source ]]; then
    with_progress "building $name" build_from_source "$module"
  else
    with_progress "building $name" env GOBIN="$TOOLS/bin" GOFLAGS="-trimpath" go install "$module"
  fi
  echo "$module" >"$stamp"
  log "$name ${module##*@} installed in $((SECONDS - t))s"
done

# The Python venv: exact pins from the requirements file, then the client package itself (editable,
# so regenerated stubs are used at once). Stamped with the hash of the pins and the pyproject.
PY_DIR="$TOOLS/python"
py_stamp="$TOOLS/python.version"
py_want=$(cat "$PYTHON_REQUIREMENTS" clients/python/pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ -x "$PY_DIR/bin/python" && -f "$py_stamp" && "$(cat "$py_stamp")" == "$py_want" ]] && "$PY_DIR/bin/python" -c "import grpc_tools, importlib.metadata as m; m.version('verifyd-client')" 2>/dev/null; then
  log "python venv already matches $PYTHON_REQUIREMENTS"
else
  python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || { log "$python not found: install Python 3.10+ (with venv) or set PYTHON" >&2; exit 1; }
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { log "$python is older than 3.10" >&2; exit 1; }
  t=$SECONDS
  log "creating $PY_DIR with $("$python" --version) and installing $(grep -c '==' "$PYTHON_REQUIREMENTS") pinned packages"
  rm -rf "$PY_DIR"
  "$python" -m venv "$PY_DIR"
  "$PY_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$PYTHON_REQUIREMENTS"
  "$PY_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps --no-build-isolation -e clients/python
  echo "$py_want" >"$py_stamp"
  log "python venv ready in $((SECONDS - t))s ($("$PY_DIR/bin/python" -m grpc_tools.protoc --version))"
fi

# clients/go: its dependencies downloaded and every package (examples included) compiled once, so the
# Go interop test only links. Stamped with go.sum and the Go version.
go_stamp="$TOOLS/clients-go.version"
go_want=$( (cat clients/go/go.sum; go version) | sha256sum | cut -d' ' -f1)
if [[ -f "$go_stamp" && "$(cat "$go_stamp")" == "$go_want" ]]; then
  log "clients/go already built with these dependencies"
else
  log "building clients/go (module and build caches)"
  t=$SECONDS
  (cd clients/go && with_progress "building clients/go" go build ./...)
  echo "$go_want" >"$go_stamp"
  log "clients/go builds ($((SECONDS - t))s)"
fi
log "done in $((SECONDS - started))s"
