#!/usr/bin/env bash
# realkafka.sh - run a real, throwaway Apache Kafka 3.9.1 broker for tests.
#
#   realkafka.sh fetch                          download the broker jars (once)
#   realkafka.sh start DIR                      start a fresh single-node KRaft
#                                               broker; prints host:port
#   realkafka.sh stop DIR                       stop it (TERM, KILL after 10 s)
#   realkafka.sh restart DIR                    stop + start on the same ports
#                                               and the same data (no reformat)
#   realkafka.sh create-topic DIR NAME PARTS [KEY=VALUE...]
#                                               create a topic (replication 1),
#                                               with topic configs if given
#   realkafka.sh group-offsets DIR GROUP        print "topic partition committed
#                                               log-end" lines for a group
#
# State of one broker lives in DIR: server.properties, ports, cluster-id,
# data/ (log.dirs), broker.log (+ broker.log.prev after a restart), pid,
# bootstrap.  Jars are cached outside the source tree in
# ${FEEDBACKD_KAFKA_CACHE:-$HOME/.cache/feedbackd/kafka-3.9.1}/libs.
#
# Diagnostics go to stderr; only `start`/`restart` print to stdout (the
# bootstrap address, e.g. 127.0.0.1:40123).  See tests/kafka/README.md.

set -euo pipefail

readonly KAFKA_VERSION=3.9.1
readonly DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
readonly START_TIMEOUT=${FEEDBACKD_KAFKA_START_TIMEOUT:-90}
readonly STOP_TIMEOUT=10
readonly STARTED_LINE='Kafka Server started'

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly POM="$HERE/pom.xml"
readonly LOG4J="$HERE/log4j.properties"
readonly CACHE="${FEEDBACKD_KAFKA_CACHE:-${HOME:?HOME is not set}/.cache/feedbackd/kafka-$KAFKA_VERSION}"
readonly LIBS="$CACHE/libs"
readonly MARKER="$LIBS/.feedbackd-complete"
# Heap etc. for the broker JVM; word-split on purpose.
readonly BROKER_JAVA_OPTS="${FEEDBACKD_KAFKA_JAVA_OPTS:--Xms256m -Xmx512m}"

prog=${0##*/}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$prog" "$*" >&2
}

usage() {
    cat >&2 <<EOF
usage: $prog fetch
       $prog start DIR
       $prog stop DIR
       $prog restart DIR
       $prog create-topic DIR NAME PARTITIONS [KEY=VALUE...]
       $prog group-offsets DIR GROUP
EOF
    exit 2
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

need_java() {
    [[ -n "$(java_bin)" ]] || die "java not found (need a Java 11+ runtime, e.g. apt-get install default-jre-headless)"
}

# ---------------------------------------------------------------- fetch ----

pom_sum() {
    sha256sum "$POM" | cut -d' ' -f1
}

libs_ok() {
    [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(pom_sum)" ]]
}

ensure_tools() {
    local no_java=0 no_mvn=0
    [[ -n "$(java_bin)" ]] || no_java=1
    command -v mvn >/dev/null 2>&1 || no_mvn=1
    if ((no_java || no_mvn)) && [[ "$(id -u)" == 0 ]] \
        && [[ -z "${FEEDBACKD_KAFKA_NO_APT:-}" ]] \
        && command -v apt-get >/dev/null 2>&1; then
        note "java and/or mvn missing; installing default-jre-headless maven with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends default-jre-headless maven >&2
        no_mvn=0
        command -v mvn >/dev/null 2>&1 || no_mvn=1
    fi
    need_java
    ((no_mvn == 0)) || die "mvn not found (needed once to download the Kafka jars, e.g. apt-get install maven)"
}

cmd_fetch() {
    if libs_ok; then
        return 0
    fi
    ensure_tools
    mkdir -p "$CACHE"
    local tmp
    tmp=$(mktemp -d "$CACHE/libs.tmp.XXXXXX")
    # shellcheck disable=SC2064  # expand $tmp now
    trap "rm -rf -- '$tmp'" EXIT
    note "downloading Kafka $KAFKA_VERSION jars into $LIBS (Maven Central)"
    # mvn's output is kept out of the way unless it fails (Debian's Maven
    # 3.8.7 prints stray ANSI resets even with -q -B).
    if ! mvn -q -B -f "$POM" "$DEP_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$tmp/libs" \
        </dev/null >"$tmp/mvn.log" 2>&1; then
        cat "$tmp/mvn.log" >&2
        die "mvn copy-dependencies failed (is Maven Central reachable?)"
    fi
    [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] \
        || die "mvn succeeded but kafka_2.13-$KAFKA_VERSION.jar is missing"
    pom_sum >"$tmp/libs/.feedbackd-complete"
    # A concurrent fetch may have finished first; otherwise move into place.
    if ! libs_ok; then
        rm -rf -- "$LIBS"
        mv -- "$tmp/libs" "$LIBS"
    fi
    rm -rf -- "$tmp"
    trap - EXIT
    note "jars ready: $(du -sh "$LIBS" | cut -f1) in $LIBS"
}

# ------------------------------------------------------------- helpers ----

# Run a Kafka command-line class quietly (WARN and up on stderr).
kafka_tool() {
    local java
    java=$(java_bin)
    "$java" -Xmx256m -cp "$LIBS/*" \
        -Dlog4j.configuration="file:$LOG4J" -Dfeedbackd.kafka.loglevel=WARN \
        "$@"
}

# Print two distinct free TCP ports on 127.0.0.1.
free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
        return
    fi
    # Fallback: probe random high ports with bash's /dev/tcp.
    local ports=() p tries=0
    while ((${#ports[@]} < 2)); do
        ((++tries < 200)) || die "could not find free ports"
        p=$((20000 + RANDOM % 30000))
        [[ " ${ports[*]} " == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            ports+=("$p")
        fi
    done
    echo "${ports[0]} ${ports[1]}"
}

# True if PID is a live (non-zombie) broker JVM belonging to DIR.
broker_alive() {
    local pid=$1 dir=$2 state
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ "$state" != Z ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$dir/server.properties"
}

read_pid() {
    local dir=$1
    if [[ -f "$dir/pid" ]]; then
        cat "$dir/pid"
    fi
}

kill_broker() {
    local pid=$1 dir=$2 i
    broker_alive "$pid" "$dir" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        broker_alive "$pid" "$dir" || return 0
        sleep 0.1
    done
    note "broker pid $pid did not exit within ${STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        broker_alive "$pid" "$dir" || return 0
        sleep 0.1
    done
    die "broker pid $pid survived KILL"
}

write_config() {
    local dir=$1 bport=$2 cport=$3
    cat >"$dir/server.properties" <<EOF
# Generated by tests/kafka/realkafka.sh: single combined KRaft node.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
EOF
}

# Startup failure report: the errors first (the shutdown that follows a
# fatal error logs dozens of lines), then the tail.
show_log() {
    local dir=$1
    note "ERROR/FATAL lines of $dir/broker.log:"
    grep -E '^\[[^]]*\] (ERROR|FATAL) ' "$dir/broker.log" | head -n 20 >&2 || true
    note "last lines of $dir/broker.log:"
    tail -n 30 "$dir/broker.log" >&2
}

# Launch the JVM on an existing, formatted DIR and wait for it to be ready.
launch() {
    local dir=$1 java pid bport cport i
    read -r bport cport <"$dir/ports"
    java=$(java_bin)
    # Keep the previous run's log (restart) for post-mortems.
    if [[ -s "$dir/broker.log" ]]; then
        mv -f -- "$dir/broker.log" "$dir/broker.log.prev"
    fi
    : >"$dir/broker.log"
    rm -f -- "$dir/bootstrap" "$dir/pid"
    # fd 9 is the DIR lock: the JVM must not inherit it.
    # shellcheck disable=SC2086  # BROKER_JAVA_OPTS is a word list
    "$java" $BROKER_JAVA_OPTS -cp "$LIBS/*" \
        -Dlog4j.configuration="file:$LOG4J" \
        kafka.Kafka "$dir/server.properties" \
        </dev/null >>"$dir/broker.log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$dir/pid"
    # Until the broker is up, any exit of this script kills it.
    # shellcheck disable=SC2064  # expand now
    trap "kill -KILL '$pid' 2>/dev/null || true; rm -f -- '$dir/pid' '$dir/bootstrap'" EXIT
    trap 'exit 1' INT TERM HUP

    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        if grep -qF "$STARTED_LINE" "$dir/broker.log"; then
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            note "broker exited during startup"
            show_log "$dir"
            exit 1
        fi
        sleep 0.2
    done
    if ! grep -qF "$STARTED_LINE" "$dir/broker.log"; then
        note "broker not started after ${START_TIMEOUT}s; killing it"
        show_log "$dir"
        exit 1
    fi
    trap - EXIT INT TERM HUP
    echo "127.0.0.1:$bport" >"$dir/bootstrap"
    cat "$dir/bootstrap"
}

absdir() {
    local dir=$1
    mkdir -p -- "$dir"
    (cd -- "$dir" && pwd)
}

# Serialise start/stop/restart on one DIR (held until this script exits).
lock_dir() {
    local dir=$1
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>"$dir/.lock"
    flock -w 120 9 || die "another realkafka.sh is still busy with $dir"
}

# ------------------------------------------------------------ commands ----

cmd_start() {
    local dir pid bport cport cid
    dir=$(absdir "$1")
    lock_dir "$dir"
    pid=$(read_pid "$dir")
    if broker_alive "$pid" "$dir"; then
        die "a broker is already running in $dir (pid $pid); stop it first"
    fi
    cmd_fetch
    need_java
    rm -rf -- "$dir/data"
    mkdir -p -- "$dir/data"
    read -r bport cport < <(free_ports)
    [[ -n "$bport" && -n "$cport" ]] || die "could not pick free ports"
    echo "$bport $cport" >"$dir/ports"
    write_config "$dir" "$bport" "$cport"
    cid=$(kafka_tool kafka.tools.StorageTool random-uuid)
    [[ -n "$cid" ]] || die "StorageTool random-uuid printed nothing"
    echo "$cid" >"$dir/cluster-id"
    kafka_tool kafka.tools.StorageTool format -t "$cid" \
        -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
        || { cat "$dir/format.log" >&2; die "StorageTool format failed"; }
    launch "$dir"
}

do_stop() {
    local dir=$1 pid
    pid=$(read_pid "$dir")
    kill_broker "$pid" "$dir"
    rm -f -- "$dir/pid" "$dir/bootstrap"
}

cmd_stop() {
    local dir
    [[ -d "$1" ]] || return 0
    dir=$(cd -- "$1" && pwd)
    lock_dir "$dir"
    do_stop "$dir"
}

cmd_restart() {
    local dir
    dir=$(absdir "$1")
    lock_dir "$dir"
    [[ -f "$dir/ports" && -f "$dir/server.properties" && -d "$dir/data" ]] \
        || die "$dir has no broker state; use start first"
    do_stop "$dir"
    cmd_fetch
    need_java
    launch "$dir"
}

cmd_create_topic() {
    local dir name parts kv configs=()
    dir=$1 name=$2 parts=$3
    shift 3
    [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer"
    [[ -f "$dir/bootstrap" ]] || die "no running broker in $dir"
    libs_ok || die "Kafka jars missing; run: $prog fetch"
    need_java
    for kv in "$@"; do
        [[ "$kv" == *=* ]] || die "topic config must be KEY=VALUE: $kv"
        configs+=(--config "$kv")
    done
    # kafka_2.13 3.9.1 has no kafka.admin.TopicCommand any more; the tool is
    # org.apache.kafka.tools.TopicCommand from the kafka-tools jar.
    kafka_tool org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$(cat "$dir/bootstrap")" \
        --create --topic "$name" --partitions "$parts" \
        --replication-factor 1 "${configs[@]}" >&2
}

# A group's committed offsets beside each partition's end, one line each.
cmd_group_offsets() {
    local dir=$1 group=$2
    [[ -f "$dir/bootstrap" ]] || die "no running broker in $dir"
    libs_ok || die "Kafka jars missing; run: $prog fetch"
    need_java
    kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
        --bootstrap-server "$(cat "$dir/bootstrap")" --describe --group "$group" 2>/dev/null |
        awk -v g="$group" '$1 == g && $3 ~ /^[0-9]+$/ { print $2, $3, $4, $5 }'
}

(($# >= 1)) || usage
cmd=$1
shift
case "$cmd" in
fetch)
    (($# == 0)) || usage
    cmd_fetch
    ;;
start)
    (($# == 1)) || usage
    cmd_start "$1"
    ;;
stop)
    (($# == 1)) || usage
    cmd_stop "$1"
    ;;
restart)
    (($# == 1)) || usage
    cmd_restart "$1"
    ;;
create-topic)
    (($# >= 3)) || usage
    cmd_create_topic "$@"
    ;;
group-offsets)
    (($# == 2)) || usage
    cmd_group_offsets "$1" "$2"
    ;;
-h | --help | help)
    usage
    ;;
*)
    usage
    ;;
esac
