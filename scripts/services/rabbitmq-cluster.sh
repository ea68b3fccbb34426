# shellcheck shell=bash
# A private three-node RabbitMQ cluster on loopback, for the cluster and quorum-queue tests.
# Source this file (it sources rabbitmq.sh), then:
#   rabbitmq_cluster_start   # nodes on 127.0.0.1:${RABBITMQ_CLUSTER_PORT:-25800}, +2, +4
#   rabbitmq_cluster_kill I  # kill -9 of node I (1..3): its Erlang VM, no clean shutdown
#   rabbitmq_cluster_revive I  # starts node I again with its data (it rejoins the cluster)
#   rabbitmq_cluster_stop    # stops every node and the shared epmd, removes the data
# Each node has its own name (swiftceleryc<port>@localhost), AMQP port, TLS port (+1),
# distribution port and data folder; they share one epmd (on RABBITMQ_CLUSTER_PORT + 10000,
# private) and one Erlang cookie. Nodes 2 and 3 join node 1 with `rabbitmqctl join_cluster`.
# Exports CELERY_TEST_AMQP_CLUSTER_URLS: the three AMQP URLs as a ';'-separated failover
# list, and CELERY_TEST_AMQP_NODE_1..3 with each URL alone. Readiness is probed
# (`rabbitmq-diagnostics check_port_listener`, then `cluster_status` naming three running nodes).

source "$(dirname "${BASH_SOURCE[0]}")/rabbitmq.sh"

rabbitmq_cluster__select() { # I : points rabbitmq.sh's variables at node I
    local base="${RABBITMQ_CLUSTER_PORT:-25800}"
    RABBITMQ_PORT=$((base + 2 * ($1 - 1)))
    RABBITMQ_TEST_EPMD_PORT=$((base + 10000))
    RABBITMQ_TEST_DIST_PORT=$((base + 20000 + $1))
    RABBITMQ_TEST_NODE="swiftceleryc${RABBITMQ_PORT}@localhost"
    RABBITMQ_TEST_DIR="${RABBITMQ_CLUSTER_DIR}/node$1"
    RABBITMQ__FOREIGN=0
    rabbitmq__vars  # the rest (the server's bin folder) for a shell that only sourced this file
}

rabbitmq_cluster__ctl() { # I args... : rabbitmqctl against node I
    rabbitmq_cluster__select "$1"; shift
    rabbitmq__env "$RABBITMQ_TEST_BIN/rabbitmqctl" -q -n "$RABBITMQ_TEST_NODE" "$@"
}

rabbitmq_cluster_start() {
    RABBITMQ_CLUSTER_DIR="${RABBITMQ_CLUSTER_DIR:-$(mktemp -d "${RUN_DIR:-${TMPDIR:-/tmp}}/swift-celery-rmq-cluster.XXXXXX")}"
    export RABBITMQ_CLUSTER_DIR
    rabbitmq__vars
    rabbitmq__install || return 1
    local cookie i
    cookie="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    for i in 1 2 3; do
        rabbitmq_cluster__select "$i"
        if (exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_PORT") 2>/dev/null; then
            echo "rabbitmq-cluster.sh: 127.0.0.1:$RABBITMQ_PORT is taken; choose another RABBITMQ_CLUSTER_PORT" >&2
            return 1
        fi
        mkdir -p "$RABBITMQ_TEST_DIR/home" && chmod 700 "$RABBITMQ_TEST_DIR/home"
        printf '%s' "$cookie" > "$RABBITMQ_TEST_DIR/home/.erlang.cookie"
        chmod 400 "$RABBITMQ_TEST_DIR/home/.erlang.cookie"
        rabbitmq__boot || return 1
    done
    local first
    rabbitmq_cluster__select 1; first="$RABBITMQ_TEST_NODE"
    for i in 2 3; do
        rabbitmq_cluster__ctl "$i" stop_app >/dev/null &&
            rabbitmq_cluster__ctl "$i" join_cluster "$first" >/dev/null &&
            rabbitmq_cluster__ctl "$i" start_app >/dev/null ||
            { echo "rabbitmq-cluster.sh: node $i could not join $first" >&2; return 1; }
    done
    for i in $(seq 1 60); do
        if [ "$(rabbitmq_cluster__ctl 1 cluster_status --formatter json 2>/dev/null |
            python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("running_nodes", [])))' 2>/dev/null)" = 3 ]; then
            rabbitmq_cluster__export
            echo "rabbitmq-cluster.sh: three running nodes: $CELERY_TEST_AMQP_CLUSTER_URLS" >&2
            return 0
        fi
        sleep 0.5
    done
    echo "rabbitmq-cluster.sh: the cluster did not report three running nodes" >&2
    return 1
}

rabbitmq_cluster__export() {
    local urls=() i
    for i in 1 2 3; do
        rabbitmq_cluster__select "$i"
        # guest is refused on non-loopback only; the nodes listen on 127.0.0.1.
        export "CELERY_TEST_AMQP_NODE_$i=amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/"
        urls+=("amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/")
    done
    CELERY_TEST_AMQP_CLUSTER_URLS="$(IFS=';'; echo "${urls[*]}")"
    export CELERY_TEST_AMQP_CLUSTER_URLS
}

rabbitmq_cluster_kill() { # I
    rabbitmq_cluster__select "$1"
    local beam
    beam="$(cat "$RABBITMQ_TEST_DIR/rabbitmq.pid" 2>/dev/null || true)"
    [ -n "$beam" ] && kill -9 "$beam" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
        { [ -n "$beam" ] && kill -0 "$beam" 2>/dev/null; } || break
        sleep 0.1
    done
    rm -f "$RABBITMQ_TEST_DIR/rabbitmq.pid"
}

rabbitmq_cluster_revive() { # I
    rabbitmq_cluster__select "$1"
    rabbitmq__boot
}

rabbitmq_cluster_stop() {
    [ -n "${RABBITMQ_CLUSTER_DIR:-}" ] || return 0
    local i
    for i in 3 2 1; do
        rabbitmq_cluster__select "$i"
        rabbitmq__halt
    done
    rabbitmq__env epmd -port "$RABBITMQ_TEST_EPMD_PORT" -kill >/dev/null 2>&1 || true
    rm -rf "$RABBITMQ_CLUSTER_DIR"
    unset RABBITMQ_CLUSTER_DIR CELERY_TEST_AMQP_CLUSTER_URLS CELERY_TEST_AMQP_NODE_1 CELERY_TEST_AMQP_NODE_2 CELERY_TEST_AMQP_NODE_3
}
