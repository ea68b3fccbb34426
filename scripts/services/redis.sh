#!/usr/bin/env bash
# Source this file, then call `redis_start` / `redis_stop`.
#
#   source scripts/services/redis.sh
#   redis_start            # starts redis-server on 127.0.0.1:${REDIS_PORT:-16379}
#   swift test --filter CeleryRedisTests
#   redis_stop
#
# redis_start installs redis-server with apt-get when it is missing (CI runs as root on a
# fresh Debian machine), runs it in a private temp dir with no persistence (set
# REDIS_PERSIST=1 to keep an append-only file there), waits until PING answers and exports
# CELERY_TEST_REDIS_URL=redis://127.0.0.1:<port>/0.

redis_start() {
    local port="${REDIS_PORT:-16379}"
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        echo "redis.sh: installing redis-server" >&2
        local sudo=""
        if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
        $sudo apt-get update -qq >&2 || return 1
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >&2 || return 1
    fi
    REDIS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/celery-redis.XXXXXX")" || return 1
    export REDIS_DIR
    local persist=(--save "" --appendonly no)
    if [ "${REDIS_PERSIST:-0}" = "1" ]; then persist=(--save "" --appendonly yes); fi
    redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_DIR" \
        --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
        --protected-mode yes "${persist[@]}" >&2 || { cat "$REDIS_DIR/redis.log" >&2 2>/dev/null; return 1; }
    local i
    for i in $(seq 1 100); do
        if [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = "PONG" ]; then
            export REDIS_PORT="$port"
            export CELERY_TEST_REDIS_URL="redis://127.0.0.1:${port}/0"
            echo "redis.sh: redis-server ready at $CELERY_TEST_REDIS_URL (dir $REDIS_DIR)" >&2
            return 0
        fi
        sleep 0.1
    done
    echo "redis.sh: redis-server did not answer PING on port $port" >&2
    cat "$REDIS_DIR/redis.log" >&2 2>/dev/null
    return 1
}

redis_stop() {
    if [ -n "${REDIS_DIR:-}" ] && [ -f "$REDIS_DIR/redis.pid" ]; then
        local pid
        pid="$(cat "$REDIS_DIR/redis.pid")"
        kill "$pid" 2>/dev/null
        local i
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ -n "${REDIS_DIR:-}" ]; then rm -rf "$REDIS_DIR"; fi
    unset REDIS_DIR CELERY_TEST_REDIS_URL
}

# Restarts the server started by redis_start on the same port and directory (for the demo's
# restart scenario): data survives only with REDIS_PERSIST=1 (append-only file).
redis_restart() {
    local port="${REDIS_PORT:-16379}"
    redis-cli -h 127.0.0.1 -p "$port" SHUTDOWN >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$port" PING >/dev/null 2>&1 || break; sleep 0.1; done
    REDIS_PORT="$port" redis_start_again
}

redis_start_again() {
    local persist=(--save "" --appendonly no)
    if [ "${REDIS_PERSIST:-0}" = "1" ]; then persist=(--save "" --appendonly yes); fi
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
        --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
        --protected-mode yes "${persist[@]}" >&2 || return 1
    local i
    for i in $(seq 1 100); do
        [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PING 2>/dev/null)" = "PONG" ] && return 0
        sleep 0.1
    done
    return 1
}
