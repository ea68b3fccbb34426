# shellcheck shell=bash
# Private RabbitMQ node for swift-celery tests. Source this file, then:
#   rabbitmq_start     # installs rabbitmq-server if missing, starts a node on 127.0.0.1:${RABBITMQ_PORT:-25672}
#   rabbitmq_restart   # stops and starts the same node (same data dir: durable queues survive)
#   rabbitmq_stop      # stops the node and the epmd it started
# Exports CELERY_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/ after a successful start, and
# CELERY_TEST_AMQPS_URL=amqps://guest:guest@localhost:PORT+1/?ssl_ca_certs=… for the node's TLS
# listener (a private CA and server certificate made with openssl in the node's directory).
# rabbitmq_start also enables the management plugin on 127.0.0.1:${RABBITMQ_MANAGEMENT_PORT:-PORT+9}
# (guest, loopback only) and exports CELERY_TEST_AMQP_MANAGEMENT_URL=http://guest:guest@127.0.0.1:P/;
# RABBITMQ_MANAGEMENT=0 leaves it off. (Cluster nodes from rabbitmq-cluster.sh never get it.)
# Everything listens on loopback only: AMQP, management HTTP, Erlang distribution and epmd. No systemd.

rabbitmq__vars() {
    RABBITMQ_PORT="${RABBITMQ_PORT:-25672}"
    RABBITMQ_TEST_EPMD_PORT="${RABBITMQ_TEST_EPMD_PORT:-$((RABBITMQ_PORT + 10000))}"
    RABBITMQ_TEST_DIST_PORT="${RABBITMQ_TEST_DIST_PORT:-$((RABBITMQ_PORT + 20000))}"
    RABBITMQ_TEST_NODE="${RABBITMQ_TEST_NODE:-swiftceleryrmq${RABBITMQ_PORT}@localhost}"
    RABBITMQ_TEST_DIR="${RABBITMQ_TEST_DIR:-${RUN_DIR:-${TMPDIR:-/tmp}}/swift-celery-rabbitmq-${RABBITMQ_PORT}}"
    RABBITMQ_TEST_BIN="${RABBITMQ_TEST_BIN:-/usr/lib/rabbitmq/bin}"
    RABBITMQ_MANAGEMENT_PORT="${RABBITMQ_MANAGEMENT_PORT:-$((RABBITMQ_PORT + 9))}"
}

# Whether the management API answers GET /api/overview (with the test user) on its port.
rabbitmq__management_ready() {
    curl -fsS -m 2 -u guest:guest -o /dev/null "http://127.0.0.1:$RABBITMQ_MANAGEMENT_PORT/api/overview" 2>/dev/null
}

rabbitmq__install() {
    if [ -x "$RABBITMQ_TEST_BIN/rabbitmq-server" ]; then return 0; fi
    echo "rabbitmq.sh: installing rabbitmq-server" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    # policy-rc.d keeps the package from starting its own service.
    if [ -d /usr/sbin ] && [ ! -e /usr/sbin/policy-rc.d ] && [ -z "$sudo" ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        RABBITMQ__POLICY_CREATED=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >&2
    local rc=$?
    if [ "${RABBITMQ__POLICY_CREATED:-}" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    # If the package started its own node anyway, leave it: ours uses other ports and names.
    return $rc
}

# Environment shared by the server and the CLI tools for our node.
rabbitmq__env() {
    env HOME="$RABBITMQ_TEST_DIR/home" \
        RABBITMQ_NODENAME="$RABBITMQ_TEST_NODE" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$RABBITMQ_PORT" \
        RABBITMQ_DIST_PORT="$RABBITMQ_TEST_DIST_PORT" \
        ERL_EPMD_ADDRESS=127.0.0.1 \
        ERL_EPMD_PORT="$RABBITMQ_TEST_EPMD_PORT" \
        RABBITMQ_MNESIA_BASE="$RABBITMQ_TEST_DIR/mnesia" \
        RABBITMQ_LOG_BASE="$RABBITMQ_TEST_DIR/log" \
        RABBITMQ_PID_FILE="$RABBITMQ_TEST_DIR/rabbitmq.pid" \
        RABBITMQ_CONFIG_FILE="$RABBITMQ_TEST_DIR/rabbitmq" \
        RABBITMQ_ADVANCED_CONFIG_FILE="$RABBITMQ_TEST_DIR/advanced.config" \
        RABBITMQ_CONF_ENV_FILE="$RABBITMQ_TEST_DIR/rabbitmq-env.conf" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$RABBITMQ_TEST_DIR/enabled_plugins" \
        RABBITMQ_ENABLED_PLUGINS="${RABBITMQ__PLUGINS:-}" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        "$@"
}

# A private CA and a certificate for localhost/127.0.0.1, made once per node directory.
rabbitmq__tls_files() {
    local d="$RABBITMQ_TEST_DIR/tls"
    [ -f "$d/server.pem" ] && return 0
    if ! command -v openssl >/dev/null; then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >&2 || true
    fi
    command -v openssl >/dev/null || { echo "rabbitmq.sh: openssl missing; no TLS listener" >&2; return 1; }
    mkdir -p "$d" && (
        cd "$d" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=swift-celery test CA" \
                -keyout ca.key -out ca.pem 2>/dev/null &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null &&
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
                -out server.pem -extfile ext.cnf 2>/dev/null
    ) || { echo "rabbitmq.sh: could not make TLS certificates; no TLS listener" >&2; rm -f "$d/server.pem"; return 1; }
}

rabbitmq__export_urls() {
    export CELERY_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT/"
    if [ -f "$RABBITMQ_TEST_DIR/tls/server.pem" ]; then
        export CELERY_TEST_AMQPS_URL="amqps://guest:guest@localhost:$((RABBITMQ_PORT + 1))/?ssl_ca_certs=$RABBITMQ_TEST_DIR/tls/ca.pem"
    fi
    if [ "${RABBITMQ_MANAGEMENT:-1}" != 0 ] && rabbitmq__management_ready; then
        export CELERY_TEST_AMQP_MANAGEMENT_URL="http://guest:guest@127.0.0.1:$RABBITMQ_MANAGEMENT_PORT/"
    fi
}

rabbitmq__boot() {
    mkdir -p "$RABBITMQ_TEST_DIR/home" "$RABBITMQ_TEST_DIR/mnesia" "$RABBITMQ_TEST_DIR/log"
    chmod 700 "$RABBITMQ_TEST_DIR/home"
    if [ ! -f "$RABBITMQ_TEST_DIR/home/.erlang.cookie" ]; then
        head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RABBITMQ_TEST_DIR/home/.erlang.cookie"
        chmod 400 "$RABBITMQ_TEST_DIR/home/.erlang.cookie"
    fi
    : > "$RABBITMQ_TEST_DIR/rabbitmq-env.conf"
    # The management plugin only for nodes started by rabbitmq_start/rabbitmq_restart (set per
    # call as RABBITMQ__WITH_MANAGEMENT=1), through RABBITMQ_ENABLED_PLUGINS and the enabled_plugins
    # file, no rabbitmq-plugins call.
    local mgmt=0
    if [ "${RABBITMQ__WITH_MANAGEMENT:-0}" = 1 ] && [ "${RABBITMQ_MANAGEMENT:-1}" != 0 ]; then mgmt=1; fi
    if [ $mgmt = 1 ]; then
        echo "[rabbitmq_management]." > "$RABBITMQ_TEST_DIR/enabled_plugins"
    else
        echo "[]." > "$RABBITMQ_TEST_DIR/enabled_plugins"
    fi
    echo "[]." > "$RABBITMQ_TEST_DIR/advanced.config"
    cat > "$RABBITMQ_TEST_DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$RABBITMQ_PORT
loopback_users.guest = true
log.file.level = warning
log.console = false
vm_memory_high_watermark.relative = 0.6
disk_free_limit.absolute = 50MB
CONF
    if [ $mgmt = 1 ]; then
        cat >> "$RABBITMQ_TEST_DIR/rabbitmq.conf" <<CONF
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBITMQ_MANAGEMENT_PORT
management.rates_mode = basic
# Statistics every second (default 5 s), so tests see queue numbers sooner.
collect_statistics_interval = 1000
CONF
    fi
    if rabbitmq__tls_files; then
        cat >> "$RABBITMQ_TEST_DIR/rabbitmq.conf" <<CONF
listeners.ssl.1 = 127.0.0.1:$((RABBITMQ_PORT + 1))
ssl_options.cacertfile = $RABBITMQ_TEST_DIR/tls/ca.pem
ssl_options.certfile = $RABBITMQ_TEST_DIR/tls/server.pem
ssl_options.keyfile = $RABBITMQ_TEST_DIR/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
    fi
    local plugins=""
    [ $mgmt = 1 ] && plugins=rabbitmq_management
    RABBITMQ__PLUGINS="$plugins" rabbitmq__env setsid "$RABBITMQ_TEST_BIN/rabbitmq-server" \
        > "$RABBITMQ_TEST_DIR/server.out" 2>&1 < /dev/null &
    echo $! > "$RABBITMQ_TEST_DIR/launcher.pid"
    local i
    for i in $(seq 1 120); do
        if rabbitmq__env "$RABBITMQ_TEST_BIN/rabbitmq-diagnostics" -q -n "$RABBITMQ_TEST_NODE" \
            check_port_listener "$RABBITMQ_PORT" >/dev/null 2>&1; then
            if [ $mgmt = 1 ]; then
                # AMQP is up; the management listener comes a moment later (probed for up to 30 s).
                local j
                for j in $(seq 1 150); do rabbitmq__management_ready && break; sleep 0.2; done
                rabbitmq__management_ready ||
                    echo "rabbitmq.sh: management API did not answer on 127.0.0.1:$RABBITMQ_MANAGEMENT_PORT; continuing without it" >&2
            fi
            rabbitmq__export_urls
            echo "rabbitmq.sh: node $RABBITMQ_TEST_NODE listening on 127.0.0.1:$RABBITMQ_PORT$([ $mgmt = 1 ] && echo " (management API on 127.0.0.1:$RABBITMQ_MANAGEMENT_PORT)")" >&2
            return 0
        fi
        if ! kill -0 "$(cat "$RABBITMQ_TEST_DIR/launcher.pid")" 2>/dev/null; then
            echo "rabbitmq.sh: node exited during start; see $RABBITMQ_TEST_DIR/server.out and log/" >&2
            tail -20 "$RABBITMQ_TEST_DIR/server.out" >&2
            return 1
        fi
        sleep 1
    done
    echo "rabbitmq.sh: node did not accept AMQP on 127.0.0.1:$RABBITMQ_PORT within 120 s" >&2
    return 1
}

rabbitmq__running() {
    [ -x "$RABBITMQ_TEST_BIN/rabbitmq-diagnostics" ] && [ -d "$RABBITMQ_TEST_DIR/home" ] &&
        rabbitmq__env "$RABBITMQ_TEST_BIN/rabbitmq-diagnostics" -q -n "$RABBITMQ_TEST_NODE" \
            check_port_listener "$RABBITMQ_PORT" >/dev/null 2>&1
}

# Whether whatever listens on our port answers the AMQP 0-9-1 protocol header with a frame
# (connection.start): an epmd or another service on the port must not pass for a broker.
rabbitmq__speaks_amqp() {
    local first
    first="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; printf "AMQP\0\0\11\1" >&3; head -c 1 <&3 | od -An -tx1' _ "$RABBITMQ_PORT" 2>/dev/null)"
    [ "$(echo $first)" = "01" ]
}

rabbitmq_start() {
    rabbitmq__vars
    rabbitmq__install || return 1
    local reuse=0
    if rabbitmq__running; then
        reuse=1
    elif (exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_PORT") 2>/dev/null; then
        if ! rabbitmq__speaks_amqp; then
            echo "rabbitmq.sh: 127.0.0.1:$RABBITMQ_PORT is taken by something that does not speak AMQP; choose another RABBITMQ_PORT" >&2
            return 1
        fi
        reuse=1 RABBITMQ__FOREIGN=1
    fi
    if [ $reuse = 1 ]; then
        # Our node (or a node started by another run of this script) is up: reuse it.
        # rabbitmq_stop only stops nodes whose pid files are in our directory.
        rabbitmq__export_urls
        echo "rabbitmq.sh: reusing running node $RABBITMQ_TEST_NODE on 127.0.0.1:$RABBITMQ_PORT" >&2
        return 0
    fi
    RABBITMQ__WITH_MANAGEMENT=1 rabbitmq__boot && return 0
    # A failed start is most often Erlang distribution ("nodistribution"): an epmd left on our
    # private port by an earlier run in a bad state. Stop that epmd and try once more.
    echo "rabbitmq.sh: start failed; restarting epmd on port $RABBITMQ_TEST_EPMD_PORT and retrying once" >&2
    rabbitmq__halt
    rabbitmq__env epmd -port "$RABBITMQ_TEST_EPMD_PORT" -kill >/dev/null 2>&1 || true
    if (exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_TEST_EPMD_PORT") 2>/dev/null; then
        # Started as a plain `epmd -daemon` with ERL_EPMD_PORT: find it by its port.
        local pid
        pid="$(ss -ltnpH "sport = :$RABBITMQ_TEST_EPMD_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)"
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    fi
    sleep 1
    RABBITMQ__WITH_MANAGEMENT=1 rabbitmq__boot
}

# Stops the node only (keeps epmd and the data directory).
rabbitmq__halt() {
    rabbitmq__env "$RABBITMQ_TEST_BIN/rabbitmqctl" -q -n "$RABBITMQ_TEST_NODE" shutdown >/dev/null 2>&1 || true
    local pid beam i
    pid="$(cat "$RABBITMQ_TEST_DIR/launcher.pid" 2>/dev/null || true)"
    beam="$(cat "$RABBITMQ_TEST_DIR/rabbitmq.pid" 2>/dev/null || true)"
    for i in $(seq 1 40); do
        { [ -n "$beam" ] && kill -0 "$beam" 2>/dev/null; } || break
        sleep 0.5
    done
    # Still alive after a failed shutdown: stop the VM we started, then its launcher.
    if [ -n "$beam" ] && kill -0 "$beam" 2>/dev/null; then kill "$beam" 2>/dev/null || true; fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$RABBITMQ_TEST_DIR/launcher.pid" "$RABBITMQ_TEST_DIR/rabbitmq.pid"
}

rabbitmq_restart() {
    rabbitmq__vars
    rabbitmq__halt
    RABBITMQ__WITH_MANAGEMENT=1 rabbitmq__boot
}

rabbitmq_stop() {
    rabbitmq__vars
    if [ "${RABBITMQ__FOREIGN:-0}" = 1 ]; then
        echo "rabbitmq.sh: leaving the node we reused on 127.0.0.1:$RABBITMQ_PORT running" >&2
        unset CELERY_TEST_AMQP_URL CELERY_TEST_AMQPS_URL CELERY_TEST_AMQP_MANAGEMENT_URL RABBITMQ__FOREIGN
        return 0
    fi
    rabbitmq__halt
    # Stop the epmd our node started (it listens on our private port only).
    rabbitmq__env epmd -port "$RABBITMQ_TEST_EPMD_PORT" -kill >/dev/null 2>&1 || true
    if [ "${RABBITMQ_KEEP_DATA:-0}" != 1 ]; then rm -rf "$RABBITMQ_TEST_DIR"; fi
    unset CELERY_TEST_AMQP_URL CELERY_TEST_AMQPS_URL CELERY_TEST_AMQP_MANAGEMENT_URL
}
