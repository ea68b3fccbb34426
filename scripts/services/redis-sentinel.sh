#!/usr/bin/env bash
# Redis Sentinel on loopback: a master, one replica and three sentinels, for tests.
#
#   source scripts/services/redis-sentinel.sh
#   redis_sentinel_start          # ports base+0 (master), base+1 (replica), base+2..4 (sentinels)
#   echo "$CELERY_TEST_SENTINEL_URLS"     # sentinel://127.0.0.1:<p>;…?master_name=mymaster
#   redis_sentinel_kill_master    # kill -9 (by pid) of the server the sentinels name master
#   redis_sentinel_revive <port>  # starts a killed server again (the sentinels make it a replica)
#   redis_sentinel_wait_healthy   # waits until the sentinels agree and the master has a live replica
#   redis_sentinel_stop
#
# The same as a command (what tests call; REDIS_SENTINEL_DIR comes from the environment):
#   scripts/services/redis-sentinel.sh kill-master | revive <port> | wait-healthy | master-port
#
# The base port is REDIS_SENTINEL_BASE_PORT (default 26900). down-after-milliseconds is 1000
# and failover-timeout 3000, so a failover takes a few seconds. No persistence. Readiness is
# probed (replica link up, every sentinel sees the replica and the two other sentinels).

REDIS_SENTINEL_MASTER_NAME="${REDIS_SENTINEL_MASTER_NAME:-mymaster}"

_rs_cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }

_rs_start_server() {  # port [replicaof-port [extra flags…]]
    local port="$1" extra=()
    if [ -n "${2:-}" ]; then extra=(--replicaof 127.0.0.1 "$2" "${@:3}"); fi
    redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_SENTINEL_DIR" \
        --dbfilename "dump-$port.rdb" --save "" --appendonly no \
        --daemonize yes --pidfile "$REDIS_SENTINEL_DIR/redis-$port.pid" \
        --logfile "$REDIS_SENTINEL_DIR/redis-$port.log" "${extra[@]}" >&2
}

_rs_wait() {  # seconds description command…
    local deadline=$((SECONDS + $1)) what="$2"
    shift 2
    while [ "$SECONDS" -lt "$deadline" ]; do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    echo "redis-sentinel.sh: timed out waiting for $what" >&2
    return 1
}

_rs_sentinel_ports() { local b="$REDIS_SENTINEL_BASE_PORT"; echo $((b + 2)) $((b + 3)) $((b + 4)); }

# The port the first answering sentinel names as the master's.
redis_sentinel_master_port() {
    local p
    for p in $(_rs_sentinel_ports); do
        local addr
        addr="$(_rs_cli "$p" SENTINEL get-master-addr-by-name "$REDIS_SENTINEL_MASTER_NAME" | tail -n 1)"
        if [ -n "$addr" ]; then echo "$addr"; return 0; fi
    done
    return 1
}

_rs_sentinels_agree_healthy() {
    local p master="" m
    for p in $(_rs_sentinel_ports); do
        m="$(_rs_cli "$p" SENTINEL get-master-addr-by-name "$REDIS_SENTINEL_MASTER_NAME" | tail -n 1)"
        [ -n "$m" ] || return 1
        if [ -z "$master" ]; then master="$m"; elif [ "$m" != "$master" ]; then return 1; fi
        local info
        info="$(_rs_cli "$p" SENTINEL master "$REDIS_SENTINEL_MASTER_NAME" | tr -d '\r' | paste - -)"
        echo "$info" | grep -q "^num-other-sentinels	2$" || return 1
        echo "$info" | grep -q "^num-slaves	[1-9]" || return 1
        echo "$info" | grep -q "^flags	master$" || return 1
        # The failover is over for this sentinel when its replica list shows a live replica.
        _rs_cli "$p" SENTINEL replicas "$REDIS_SENTINEL_MASTER_NAME" | tr -d '\r' | paste - - | grep -q "^flags	slave$" || return 1
    done
    _rs_cli "$master" ROLE | head -n 1 | grep -qx master || return 1
    _rs_cli "$master" INFO replication | tr -d '\r' | grep -Eq "^slave[0-9]+:.*state=online" || return 1
}

# Waits (up to 60 s) until all sentinels name one master that says ROLE master and has an
# online replica, every sentinel sees two others, and no failover is in progress.
redis_sentinel_wait_healthy() { _rs_wait 60 "a healthy sentinel set-up" _rs_sentinels_agree_healthy; }

redis_sentinel_start() {
    if ! command -v redis-sentinel >/dev/null 2>&1 && ! command -v redis-server >/dev/null 2>&1; then
        echo "redis-sentinel.sh: redis-server is missing (scripts/services/redis.sh installs it)" >&2
        return 1
    fi
    export REDIS_SENTINEL_BASE_PORT="${REDIS_SENTINEL_BASE_PORT:-26900}"
    REDIS_SENTINEL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/celery-sentinel.XXXXXX")" || return 1
    export REDIS_SENTINEL_DIR REDIS_SENTINEL_MASTER_NAME
    local b="$REDIS_SENTINEL_BASE_PORT"
    _rs_start_server "$b" || return 1
    _rs_start_server $((b + 1)) "$b" || return 1
    _rs_wait 20 "the replica's link to the master" \
        sh -c "redis-cli -h 127.0.0.1 -p $((b + 1)) INFO replication 2>/dev/null | grep -q '^master_link_status:up'" || return 1
    local p
    for p in $(_rs_sentinel_ports); do
        cat >"$REDIS_SENTINEL_DIR/sentinel-$p.conf" <<CONF
port $p
bind 127.0.0.1
daemonize yes
pidfile $REDIS_SENTINEL_DIR/sentinel-$p.pid
logfile $REDIS_SENTINEL_DIR/sentinel-$p.log
dir $REDIS_SENTINEL_DIR
sentinel monitor $REDIS_SENTINEL_MASTER_NAME 127.0.0.1 $b 2
sentinel down-after-milliseconds $REDIS_SENTINEL_MASTER_NAME 1000
sentinel failover-timeout $REDIS_SENTINEL_MASTER_NAME 3000
sentinel parallel-syncs $REDIS_SENTINEL_MASTER_NAME 1
CONF
        redis-server "$REDIS_SENTINEL_DIR/sentinel-$p.conf" --sentinel >&2 || return 1
    done
    redis_sentinel_wait_healthy || { tail -n 20 "$REDIS_SENTINEL_DIR"/*.log >&2; return 1; }
    local urls="" sep=""
    for p in $(_rs_sentinel_ports); do urls="$urls${sep}sentinel://127.0.0.1:$p/0"; sep=";"; done
    export CELERY_TEST_SENTINEL_URLS="$urls?master_name=$REDIS_SENTINEL_MASTER_NAME"
    echo "redis-sentinel.sh: master $b, replica $((b + 1)), sentinels $(_rs_sentinel_ports) ready (dir $REDIS_SENTINEL_DIR, ${SECONDS}s)" >&2
}

# kill -9 of the current master (by its pid file); prints its port.
redis_sentinel_kill_master() {
    local port
    port="$(redis_sentinel_master_port)" || { echo "redis-sentinel.sh: no sentinel names a master" >&2; return 1; }
    local pid
    pid="$(cat "$REDIS_SENTINEL_DIR/redis-$port.pid")" || return 1
    kill -9 "$pid" || return 1
    _rs_wait 10 "redis-server $port to exit" sh -c "! kill -0 $pid 2>/dev/null" || return 1
    rm -f "$REDIS_SENTINEL_DIR/redis-$port.pid"
    echo "$port"
}

# Starts a killed server on its port again, as a replica of the current master. It comes back
# empty (no persistence), so it starts with replica-priority 0 — the sentinels must not
# promote it before its first sync is done (a second failover onto an empty replica would
# wipe the master's data when the master resyncs from it) — and becomes promotable once
# its link to the master is up.
redis_sentinel_revive() {
    local port="$1" master
    master="$(redis_sentinel_master_port)" || return 1
    _rs_start_server "$port" "$master" --replica-priority 0 || return 1
    _rs_wait 20 "redis-server $port to sync with the master" \
        sh -c "redis-cli -h 127.0.0.1 -p $port INFO replication 2>/dev/null | grep -q '^master_link_status:up'" || return 1
    _rs_cli "$port" CONFIG SET replica-priority 100 >/dev/null
}

redis_sentinel_stop() {
    [ -n "${REDIS_SENTINEL_DIR:-}" ] || return 0
    local f pid
    for f in "$REDIS_SENTINEL_DIR"/*.pid; do
        [ -f "$f" ] || continue
        pid="$(cat "$f")"
        kill "$pid" 2>/dev/null
        local i
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$REDIS_SENTINEL_DIR"
    unset REDIS_SENTINEL_DIR CELERY_TEST_SENTINEL_URLS
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    : "${REDIS_SENTINEL_DIR:?start the set-up first (redis_sentinel_start exports REDIS_SENTINEL_DIR)}"
    : "${REDIS_SENTINEL_BASE_PORT:?REDIS_SENTINEL_BASE_PORT is not set}"
    case "${1:-}" in
        kill-master) redis_sentinel_kill_master ;;
        revive) redis_sentinel_revive "$2" ;;
        wait-healthy) redis_sentinel_wait_healthy ;;
        master-port) redis_sentinel_master_port ;;
        *) echo "usage: $0 kill-master | revive <port> | wait-healthy | master-port" >&2; exit 2 ;;
    esac
fi
