# shellcheck shell=bash
# MongoDB-compatible test server for swift-celery (nx-27017, an in-memory MongoDB
# wire-protocol server). Source this file, then:
#
#   mongo_deps    # apt-get install libmongoc-dev libbson-dev pkg-config when missing
#   mongo_start   # venv + nx-27017 on 127.0.0.1:${MONGO_PORT:-27117}; exports CELERY_TEST_MONGO_URL
#   mongo_stop    # stops the server started by mongo_start
#
# Settings: CELERY_VENV (default $PWD/.venv), MONGO_PORT (default 27117),
# MONGO_DB (default celery_test), MONGO_STATE_DIR (default ${RUN_DIR:-/tmp}/swift-celery-mongo-$MONGO_PORT).

mongo_deps() {
    local missing=()
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    pkg-config --exists libmongoc-1.0 2>/dev/null || missing+=(libmongoc-dev)
    pkg-config --exists libbson-1.0 2>/dev/null || missing+=(libbson-dev)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "mongo_deps: installing ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" || return 1
    fi
}

_mongo_venv() {
    local venv="${CELERY_VENV:-$PWD/.venv}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" 2>/dev/null || {
            local sudo=""
            [ "$(id -u)" -ne 0 ] && sudo="sudo"
            $sudo apt-get install -y -qq python3-venv && python3 -m venv "$venv"
        } || { echo "mongo_start: cannot create venv $venv" >&2; return 1; }
    fi
    if ! "$venv/bin/python" -c 'import nx_27017, celery, pymongo, redis' >/dev/null 2>&1; then
        "$venv/bin/pip" install -q nx-27017 celery redis pymongo || return 1
    fi
    MONGO_VENV="$venv"
}

mongo_start() {
    _mongo_venv || return 1
    local port="${MONGO_PORT:-27117}"
    local db="${MONGO_DB:-celery_test}"
    local dir="${MONGO_STATE_DIR:-${RUN_DIR:-/tmp}/swift-celery-mongo-$port}"
    mkdir -p "$dir"
    if [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
        echo "mongo_start: nx-27017 already running on 127.0.0.1:$port (pid $(cat "$dir/server.pid"))" >&2
    else
        # Foreground mode under nohup (its own -d daemon mode would hide the pid);
        # private log and pid files so several servers can coexist.
        nohup "$MONGO_VENV/bin/nx-27017" --db memory --host 127.0.0.1 -p "$port" \
            --log-file "$dir/nx.log" --pid-file "$dir/nx.pid" >"$dir/stdout.log" 2>&1 &
        echo $! >"$dir/server.pid"
    fi
    local i
    for i in $(seq 1 100); do
        if "$MONGO_VENV/bin/python" - "$port" <<'PY' >/dev/null 2>&1
import sys, pymongo
pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=300).admin.command("ping")
PY
        then
            export CELERY_TEST_MONGO_URL="mongodb://127.0.0.1:$port/$db?serverSelectionTimeoutMS=3000"
            echo "mongo_start: nx-27017 ready; CELERY_TEST_MONGO_URL=$CELERY_TEST_MONGO_URL" >&2
            return 0
        fi
        sleep 0.2
    done
    echo "mongo_start: nx-27017 did not answer a ping on 127.0.0.1:$port; log:" >&2
    tail -n 20 "$dir/stdout.log" >&2
    return 1
}

mongo_stop() {
    local port="${MONGO_PORT:-27117}"
    local dir="${MONGO_STATE_DIR:-${RUN_DIR:-/tmp}/swift-celery-mongo-$port}"
    if [ -f "$dir/server.pid" ]; then
        local pid
        pid="$(cat "$dir/server.pid")"
        kill "$pid" 2>/dev/null || true
        local i
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/server.pid"
    fi
    unset CELERY_TEST_MONGO_URL
}
