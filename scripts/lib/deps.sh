# Sourced by the scripts: installs what building and testing need, when missing.
# Debian packages: libmongoc/libbson (the MongoDB C driver, linked by CeleryMongo), pkg-config,
# zlib (the web-app example's PNG codec) and netpbm (its tests).

apt_updated=0
ensure_apt() {
  # ensure_apt PACKAGE... : installs the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $apt_updated -eq 0 ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_build_deps() {
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  command -v swift >/dev/null || { echo "swift not found (expected in PATH or /opt/swift/usr/bin)" >&2; return 1; }
  # zlib1g-dev: the web-app example's PNG codec (CZlib); netpbm: its tests compare our codec with pnmtopng/pngtopnm.
  ensure_apt libmongoc-dev libbson-dev pkg-config zlib1g-dev netpbm
  # curl: rabbitmq.sh probes the management API with it; the dashboard tests use it too.
  ensure_apt curl
}

# The Python venv with the servers and the Celery reference implementation.
export CELERY_VENV="${CELERY_VENV:-$PWD/.venv}"
ensure_venv() {
  if [ ! -x "$CELERY_VENV/bin/python" ]; then
    echo "==> python venv at $CELERY_VENV"
    python3 -m venv "$CELERY_VENV" || { ensure_apt python3-venv; python3 -m venv "$CELERY_VENV"; }
  fi
  if ! "$CELERY_VENV/bin/python" -c 'import celery, redis, pymongo, packaging, opentelemetry.instrumentation.celery' 2>/dev/null || [ ! -x "$CELERY_VENV/bin/nx-27017" ]; then
    echo "==> pip install celery redis pymongo nx-27017 opentelemetry-instrumentation-celery"
    "$CELERY_VENV/bin/pip" install -q --disable-pip-version-check 'celery>=5,<6' redis pymongo nx-27017 packaging \
      opentelemetry-sdk opentelemetry-instrumentation-celery
  fi
}

# The dashboard's real-browser test: headless Chromium and its driver from Debian, selenium from PyPI.
ensure_browser_deps() {
  ensure_apt chromium chromium-driver
  if ! "$CELERY_VENV/bin/python" -c 'import selenium' 2>/dev/null; then
    echo "==> pip install selenium"
    "$CELERY_VENV/bin/pip" install -q --disable-pip-version-check selenium
  fi
}
