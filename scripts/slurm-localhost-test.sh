#!/usr/bin/env bash
# A real test of `imbench slurm`: a one-node Slurm cluster on localhost runs the generated
# job array for configs/mnist-smoke.yaml, then the dependent report job; the test checks
# that the report holds every run of the grid exactly once and that its tables equal those
# of the same sweep run on this machine without Slurm.
#
#   sudo scripts/slurm-localhost-test.sh        (Debian 12; needs root and ../shared/datasets/mnist)
#
# What it does, from a fresh machine:
#   1. installs Debian's slurm-wlm and munge if missing (apt-get), and what ImbalanceBench
#      needs (scripts/bootstrap.sh, which also builds .build/release/imbench);
#   2. starts munged with its own key and socket, then slurmctld and slurmd with a minimal
#      slurm.conf (one node: this host, nproc CPUs; no cgroups, no accounting), every file
#      under a temporary directory, the daemons bound to 127.0.0.1 on ports 16817/16818;
#   3. `imbench slurm configs/mnist-smoke.yaml --array-size 3`, submits the array and the
#      report job (the generated submit script), waits for both (at most
#      $SLURM_TEST_TIMEOUT_MINUTES, default 20);
#   4. checks: every job id of `imbench sweep CONFIG --dry-run` has exactly one record, there
#      are no other files in records/, the report counts that many records; and the
#      report's markdown and charts equal those of `imbench sweep` + `imbench report` run
#      here without Slurm, apart from the regenerate-command line;
#   5. stops the daemons it started (also on failure or Ctrl-C).
# Exits 0 only if every check passes. The work directory is removed on success unless
# SLURM_TEST_KEEP=1; on failure it is kept (daemon logs, Slurm job logs, both results).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="$root/configs/mnist-smoke.yaml"
data_dir="${IMBENCH_TEST_DATA_DIR:-$root/../shared/datasets/mnist}"
timeout_minutes="${SLURM_TEST_TIMEOUT_MINUTES:-20}"
array_size=3
ctld_port=16817
slurmd_port=16818
started=$(date +%s)

say() { echo "slurm-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (it installs packages and starts slurmctld, slurmd and munged)"
[ -d "$data_dir" ] || fail "no MNIST at $data_dir (set IMBENCH_TEST_DATA_DIR to a directory holding its IDX files)"
data_dir="$(cd "$data_dir" && pwd)"

# 1. Packages and the release build.
missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  # Package scripts would start the system's munge and slurm services; this test runs its own.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [ -z "$policy_added" ] || rm -f /usr/sbin/policy-rc.d
fi
say "building imbench (release)"
"$root/scripts/bootstrap.sh"
imbench="$root/.build/release/imbench"
[ -x "$imbench" ] || fail "no $imbench after the build"

# 2. The cluster: munged, slurmctld and slurmd, everything under $work.
work="$(mktemp -d /tmp/imbench-slurm-test.XXXXXX)"
chmod 755 "$work"   # munged requires its socket's directory to be traversable by all
mkdir -p "$work/munge" "$work/munge-key" "$work/state" "$work/spool" "$work/log"
chmod 700 "$work/munge-key"
cleanup() {
  local code=$?
  set +e
  for f in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munge/munged.pid"; do
    if [ -s "$f" ]; then
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null
    fi
  done
  if [ "$code" -eq 0 ] && [ "${SLURM_TEST_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
  else
    say "work directory kept: $work (logs in log/, Slurm job logs in slurm-results/slurm/logs/)"
  fi
  say "wall time $(( $(date +%s) - started )) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dd if=/dev/urandom of="$work/munge-key/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge-key/munge.key"
munged --key-file="$work/munge-key/munge.key" --socket="$work/munge/munge.socket.2" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
  --seed-file="$work/munge/munged.seed" || fail "munged did not start (see $work/log/munged.log)"
munge -S "$work/munge/munge.socket.2" -n | unmunge -S "$work/munge/munge.socket.2" >/dev/null \
  || fail "munge cannot encode and decode a credential"

host="$(hostname -s)"
cpus="$(nproc)"
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<EOF
# One-node Slurm cluster on localhost for scripts/slurm-localhost-test.sh.
ClusterName=imbench-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket.2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
PlugStackConfig=$work/plugstack.conf
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
: > "$work/plugstack.conf"

say "starting slurmctld and slurmd ($host, $cpus CPUs, 127.0.0.1:$ctld_port and :$slurmd_port)"
slurmctld -c -f "$SLURM_CONF" || fail "slurmctld did not start (see $work/log/slurmctld.log)"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start (see $work/log/slurmd.log)"
state=""
for _ in $(seq 60); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || fail "the node is '$state', not idle, after 60 s (see $work/log/)"
for port in $ctld_port $slurmd_port; do
  listeners="$(ss -Hltn "sport = :$port" | awk '{print $4}')"
  [ -n "$listeners" ] || fail "nothing listens on port $port"
  if echo "$listeners" | grep -qv '^127\.0\.0\.1:'; then
    fail "port $port is bound to $(echo "$listeners" | tr '\n' ' '), not 127.0.0.1 only"
  fi
done
say "node $host is idle; slurmctld and slurmd listen on 127.0.0.1 only"

# 3. Generate, submit, wait.
results="$work/slurm-results"
"$imbench" slurm "$config" --results "$results" --array-size "$array_size" \
  --data-dir "$data_dir" --time 00:30:00 >&2
submit="$results/slurm/mnist-smoke-submit.sh"
[ -x "$submit" ] || fail "imbench slurm wrote no $submit"
grep -q "^#SBATCH --array=1-$array_size\$" "$results/slurm/mnist-smoke.sbatch" \
  || fail "the array script does not ask for --array=1-$array_size"
out="$("$submit")"
echo "$out" >&2
array_id="$(echo "$out" | sed -n 's/^array job \([0-9]*\) .*/\1/p')"
report_id="$(echo "$out" | sed -n 's/.*; report job \([0-9]*\) .*/\1/p')"
[ -n "$array_id" ] && [ -n "$report_id" ] || fail "could not read the job ids from the submit script's output"

deadline=$(( $(date +%s) + timeout_minutes * 60 ))
while [ -n "$(squeue -h -j "$array_id,$report_id" -o %i 2>/dev/null)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { squeue >&2; fail "jobs still queued or running after $timeout_minutes minutes"; }
  sleep 5
done
states="$(scontrol -o show job "$array_id" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ')"
report_state="$(scontrol -o show job "$report_id" | grep -o 'JobState=[A-Z_]*')"
say "array tasks:$(echo "$states" | tr '\n' ' ') report job: $report_state"
tasks_done="$(scontrol -o show job "$array_id" | grep -c 'JobState=COMPLETED' || true)"
[ "$tasks_done" -eq "$array_size" ] || fail "$tasks_done of $array_size array tasks completed (logs: $results/slurm/logs/)"
[ "$report_state" = JobState=COMPLETED ] || fail "the report job ended with $report_state (logs: $results/slurm/logs/)"

# 4. Checks: every run exactly once.
ids="$("$imbench" sweep "$config" --out "$results" --dry-run | awk '!/^[0-9]+ jobs$/ {print $1}')"
expected="$(echo "$ids" | wc -l)"
[ "$expected" -ge 1 ] || fail "the dry run lists no jobs"
unfinished="$("$imbench" sweep "$config" --out "$results" --dry-run | awk '!/^[0-9]+ jobs$/ && !/\(finished\)$/')"
[ -z "$unfinished" ] || fail "jobs without a record: $unfinished"
for id in $ids; do
  f="$results/records/$id.json"
  [ -f "$f" ] || fail "no record for $id"
  inside="$(grep -o '"id" *: *"[^"]*"' "$f" | head -1 | sed 's/.*: *"\(.*\)"/\1/')"
  [ "$inside" = "$id" ] || fail "$f holds the record of '$inside'"
done
files="$(find "$results/records" -mindepth 1 | wc -l)"
[ "$files" -eq "$expected" ] || fail "records/ holds $files files for $expected jobs: $(ls -A "$results/records")"
dupes="$(echo "$ids" | sort | uniq -d)"
[ -z "$dupes" ] || fail "the grid lists a job twice: $dupes"
report="$results/report.md"
[ -f "$report" ] || fail "no report at $report"
grep -q "^- Records: $expected (" "$report" || fail "the report does not count $expected records: $(grep '^- Records' "$report")"
say "$expected jobs, one record each, no other files; the report counts $expected records"

# The same sweep on this machine, without Slurm: identical tables and charts.
local_results="$work/local-results"
say "running the same sweep without Slurm"
"$imbench" sweep "$config" --out "$local_results" --data-dir "$data_dir" --jobs "$cpus" >&2
"$imbench" report "$local_results" --out "$local_results/report.md" >&2
strip() { grep -v '^imbench report ' "$1"; }
if ! diff <(strip "$report") <(strip "$local_results/report.md") >&2; then
  fail "the reports differ (above: < through Slurm, > without)"
fi
[ "$(grep -c '^imbench report ' "$report")" -eq 1 ] || fail "expected one regenerate-command line in $report"
if [ -d "$results/report-charts" ] || [ -d "$local_results/report-charts" ]; then
  diff -r "$results/report-charts" "$local_results/report-charts" >&2 || fail "the charts differ"
fi
say "PASSED: the report through Slurm holds every run of the grid once and equals the local sweep's"
