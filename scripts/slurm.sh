#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the SLURM profile's integration test
# (pytest -m slurm) and for trying profiles/slurm by hand. Needs root (Debian packages, daemons).
#
#   scripts/slurm.sh install   apt-get install slurmctld slurmd slurm-client munge (idempotent)
#   scripts/slurm.sh start     write /etc/slurm/slurm.conf, start munged, slurmctld and slurmd,
#                              wait until the node is idle; the pids go to the state directory
#   scripts/slurm.sh stop      cancel this cluster's jobs, stop the daemons this script started,
#                              by their recorded pids (never by name)
#   scripts/slurm.sh status    which recorded daemons run, and sinfo
#
# State directory (pids, logs, spool): $MYOCLAMP_SLURM_DIR, default /var/tmp/myoclamp-slurm.
# Partition: $MYOCLAMP_SLURM_PARTITION, default main (profiles/slurm/profile.yaml uses it).
# Facts behind the settings: ../shared/notes/slurm.md (Debian 12, SLURM 22.05, no systemd).
set -euo pipefail

STATE="${MYOCLAMP_SLURM_DIR:-/var/tmp/myoclamp-slurm}"
PARTITION="${MYOCLAMP_SLURM_PARTITION:-main}"
CONF=/etc/slurm/slurm.conf
PIDS="$STATE/pids"
NODE="$(hostname -s)"
PACKAGES=(slurmctld slurmd slurm-client munge)

say() { echo "slurm.sh: $*"; }
die() {
    echo "slurm.sh: error: $*" >&2
    exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.5 s until it succeeds
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local tries=$((seconds * 2))
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    die "$what did not happen within ${seconds}s (logs in $STATE)"
}

# alive NAME: the daemon NAME recorded in $PIDS runs (same pid and same program name)
alive() {
    local name=$1 pid
    [ -s "$PIDS/$name" ] || return 1
    pid=$(cat "$PIDS/$name")
    [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# record NAME PIDFILE: copy the pid a forking daemon wrote into our state directory
record() {
    local name=$1 pidfile=$2
    wait_for 20 "$name writing $pidfile" test -s "$pidfile"
    cat "$pidfile" >"$PIDS/$name"
    wait_for 10 "$name staying up" alive "$name"
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"
}

cmd_install() {
    need_root
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        say "already installed: $(slurmctld -V), $(munged -V 2>&1 | head -n 1)"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # "policy-rc.d denied execution of start" is expected: the daemons are started by `start`
    if ! apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        "${PACKAGES[@]}"; then
        apt-get -o DPkg::Lock::Timeout=300 update -qq
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${PACKAGES[@]}"
    fi
    say "installed: $(slurmctld -V)"
}

write_conf() {
    local cpus mem_mb
    cpus=$(nproc)
    # a little under the machine's memory, so slurmd does not find less than configured
    mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.95}' /proc/meminfo)
    mkdir -p /etc/slurm "$STATE/ctld" "$STATE/spool" "$PIDS"
    if [ -f "$CONF" ] && ! grep -q '^# written by myoclamp scripts/slurm.sh' "$CONF"; then
        cp "$CONF" "$STATE/slurm.conf.before"
        say "kept the previous $CONF as $STATE/slurm.conf.before"
    fi
    cat >"$CONF" <<EOF
# written by myoclamp scripts/slurm.sh: a one-node cluster on $NODE
ClusterName=myoclamp
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# finished jobs stay visible to squeue (Snakemake's status command) for 10 minutes
MinJobAge=600
SchedulerType=sched/backfill
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    say "wrote $CONF ($NODE: $cpus CPUs, $mem_mb MB, partition $PARTITION)"
}

munge_works() { munge -n | unmunge; }

start_munge() {
    if alive munged; then
        return 0
    fi
    if munge_works >/dev/null 2>&1; then
        say "munged already runs (not started by this script; left alone)"
        return 0
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    record munged /run/munge/munged.pid
    wait_for 20 "munge credential round trip" munge_works
    say "munged running (pid $(cat "$PIDS/munged"))"
}

node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1; }

node_idle() {
    local state
    state=$(node_state)
    case "$state" in
        idle | mixed | allocated) return 0 ;;
        down* | drain* | fail*)
            scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
            return 1
            ;;
        *) return 1 ;;
    esac
}

cmd_start() {
    need_root
    command -v slurmctld >/dev/null || die "SLURM is not installed; run: $0 install"
    mkdir -p "$PIDS"
    if alive slurmctld && alive slurmd; then
        say "already running (slurmctld $(cat "$PIDS/slurmctld"), slurmd $(cat "$PIDS/slurmd"))"
        wait_for 60 "node $NODE idle" node_idle
        return 0
    fi
    write_conf
    start_munge
    if ! alive slurmctld; then
        rm -f "$STATE/slurmctld.pid"
        slurmctld -i
        record slurmctld "$STATE/slurmctld.pid"
        wait_for 30 "slurmctld answering scontrol ping" \
            bash -c 'scontrol ping | grep -q "is UP"'
        say "slurmctld running (pid $(cat "$PIDS/slurmctld"))"
    fi
    if ! alive slurmd; then
        rm -f "$STATE/slurmd.pid"
        slurmd
        record slurmd "$STATE/slurmd.pid"
        say "slurmd running (pid $(cat "$PIDS/slurmd"))"
    fi
    wait_for 60 "node $NODE idle" node_idle
    say "node $NODE is $(node_state); partition $PARTITION ready"
}

# stop_pid NAME: TERM the recorded daemon, wait, KILL if it does not go
stop_pid() {
    local name=$1 pid
    if ! alive "$name"; then
        rm -f "$PIDS/$name"
        return 0
    fi
    pid=$(cat "$PIDS/$name")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        alive "$name" || break
        sleep 0.5
    done
    if alive "$name"; then
        kill -KILL "$pid" 2>/dev/null || true
        say "$name (pid $pid) killed after 20 s"
    else
        say "$name (pid $pid) stopped"
    fi
    rm -f "$PIDS/$name"
}

cmd_stop() {
    if alive slurmctld; then
        local jobs
        jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
        if [ -n "${jobs// /}" ]; then
            # shellcheck disable=SC2086 # job ids, one word each
            scancel $jobs || true
            say "cancelled jobs $jobs"
            sleep 1
        fi
    fi
    stop_pid slurmd
    stop_pid slurmctld
    stop_pid munged
}

cmd_status() {
    local running=0
    for name in munged slurmctld slurmd; do
        if alive "$name"; then
            say "$name running (pid $(cat "$PIDS/$name"))"
            running=$((running + 1))
        else
            say "$name not running (from this script)"
        fi
    done
    if alive slurmctld; then
        sinfo
    fi
    # exit 0 only when both SLURM daemons started by this script run
    alive slurmctld && alive slurmd
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 install|start|stop|status" >&2
        exit 2
        ;;
esac
