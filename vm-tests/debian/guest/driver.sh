#!/bin/bash
# The guest half of tests/vm_debian.rs, run by vm-driver.service (Type=exec)
# from the 9p shared folder /host at every boot of the Debian guest.
#
# It installs the agent with the units, wrappers, egress filter and
# config.json that vm-tests/debian/render.nix rendered from the NixOS
# module's own code, then acts out the scenarios against the real systemd,
# journald, nftables and dm-crypt of this guest. What only the host can see
# (the evidence at the MCP) it asks the host for through /host/ctl:
# N.req holds one request, the host answers in N.ack ("ok ..." or
# "fail ..."). Results go to /host/out/results, one line each:
# "ok NAME detail" or "FAIL NAME detail"; the host asserts them.
#
# Every wait is bounded. A reboot (scenario "reboot") continues here in the
# phase recorded in /var/lib/vm-test/phase.
set -u
H=/host
OUT=$H/out
S=/var/lib/vm-test
LIB=/usr/local/lib/compliance-agent
AGENT=/usr/local/bin/compliance-agent
SIM=$S/sim
# The simulated NixOS profile: generation 1 is the approved revision (the
# config's expected_revision, rendered by render.nix); "rogue" is a flake
# someone switches to by hand.
APPROVED=3f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39
ROGUE=0badc0de0badc0de0badc0de0badc0de0badc0de
mkdir -p "$S" "$OUT" "$H/ctl"

say() { echo "vm-driver: $*"; echo "$(date +%s.%N | cut -c1-14) $*" >>"$OUT/log"; }
ok() { echo "ok $*" >>"$OUT/results"; say "ok $*"; }
fail() { echo "FAIL $*" >>"$OUT/results"; say "FAIL $*"; }
# check NAME DETAIL CMD...: ok or FAIL by the command's status.
check() { local n=$1 d=$2; shift 2; if "$@"; then ok "$n" "$d"; else fail "$n" "$d"; fi; }

# host REQUEST...: asks the host, waits (bounded) for its answer.
host() {
  local n
  n=$(( $(find "$H/ctl" -name '*.req' | wc -l) + 1 ))
  printf '%s\n' "$*" >"$H/ctl/$n.tmp" && mv "$H/ctl/$n.tmp" "$H/ctl/$n.req"
  say "asked the host ($n): $*"
  for ((i = 0; i < 3000; i++)); do
    if [ -s "$H/ctl/$n.ack" ]; then
      say "host ($n): $(cat "$H/ctl/$n.ack")"
      grep -q '^ok' "$H/ctl/$n.ack"
      return
    fi
    sleep 0.1
  done
  say "host ($n): no answer"
  return 1
}

# within SECONDS CMD...: waits until CMD succeeds; fails after SECONDS.
within() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.5
  done
}

unpushed() { "$AGENT" --config /etc/compliance-agent/config.json status --json 2>/dev/null | tr -d ' \n' | grep -o '"unpushed":[0-9]*' | cut -d: -f2; }
agent_log_since() { journalctl -q -o cat -u compliance-agent.service --since "@$1" 2>/dev/null; }
# agent_said SINCE TEXT N: the agent logged TEXT at least N times since SINCE.
agent_said() { [ "$(agent_log_since "$1" | grep -c -- "$2")" -ge "$3" ]; }
has_backlog() { [ "$(unpushed)" -gt 0 ] 2>/dev/null; }
drained() { [ "$(unpushed)" = 0 ]; }
main_pid() { systemctl show -P MainPID compliance-agent.service; }
active() { systemctl is-active -q "$1"; }

install_agent() {
  local i=$H/install
  install -m 0755 "$i/compliance-agent" "$AGENT"
  install -d -m 0755 "$LIB/tools" "$LIB/sim" /etc/compliance-agent
  for w in "$i"/wrappers/*; do install -m 0755 "$w" "$LIB/tools/"; done
  install -m 0755 "$i/egress/load" "$LIB/egress-load"
  install -m 0755 "$i/egress/add" "$LIB/egress-add"
  install -m 0644 "$i/egress/egress.nft" /etc/compliance-agent/egress.nft
  for f in config.json ca.pem client.pem firewall.nft firewall.nft.sig; do
    install -m 0644 "$i/$f" /etc/compliance-agent/
  done
  install -m 0400 "$i/client.key" "$i/evidence.key" /etc/compliance-agent/
  install -m 0644 "$i"/units/*.service /etc/systemd/system/
  # The two simulated NixOS tools (tests/simhost/tools) and the guest's
  # glue around them (vm-tests/debian/guest/nixos-*).
  install -d -m 0755 "$LIB/sim/tools"
  install -m 0644 "$i"/sim/tools/* "$LIB/sim/tools/"
  install -m 0755 "$i"/sim/nixos-version "$i"/sim/nixos-rebuild "$LIB/sim/"
  # The guest's name for the MCP: QEMU's guestfwd address. No DNS server:
  # a name that is not here fails on the loopback resolver.
  grep -q mcp.test /etc/hosts || echo "10.0.2.100 mcp.test" >>/etc/hosts
  echo "nameserver 127.0.0.1" >/etc/resolv.conf
}

# A critical service of the clinic: a real unit, nothing more.
install_clinic_service() {
  cat >/etc/systemd/system/clinic-emr.service <<'EOF'
[Unit]
Description=Clinic EMR sync (VM tier stand-in workload)
[Service]
Type=exec
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
EOF
}

# The simulated NixOS profile (tests/simhost/README.md has the layout):
# generation 1 at the approved revision, nixpkgs dated today. And the real
# unit a generation with the `degraded` marker leaves failed.
make_sim() {
  local g=$SIM/system/generations/1
  mkdir -p "$SIM/behaviour" "$SIM/flakes" "$g"
  ln -sfn /dev/null "$SIM/calls.log"
  echo running >"$SIM/system-state"
  echo "$APPROVED" >"$g/revision"
  echo "24.11.$(date -u +%Y%m%d).edf04b7" >"$g/nixos-version"
  echo edf04b7c1e9a2f1f3b2b7c6d5e4f3a2b1c0d9e8f >"$g/nixpkgs-revision"
  echo 1 >"$SIM/system/current"
  ln -sfn generations/1 "$SIM/system/current-system"
  echo "$APPROVED" >"$SIM/flakes/github_clinic_appliance_appl-01"
  echo "$ROGUE" >"$SIM/flakes/github_clinic_appliance_rogue"
  cat >/etc/systemd/system/simhost-activation.service <<'EOF'
[Unit]
Description=VM tier: what a failed activation leaves failed (simulated nixos-rebuild)
[Service]
Type=oneshot
ExecStart=/bin/false
EOF
}

sim_gen() { readlink "$SIM/system/current-system" | cut -d/ -f2; }
sim_rev() { cat "$SIM/system/current-system/revision"; }
# Someone switches the appliance by hand (not through the agent's wrapper).
operator_switch() { SIMHOST_DIR=$SIM bash "$LIB/sim/tools/nixos-rebuild" switch --flake "$1" >/dev/null 2>&1; }
proc_state() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
hung() { [ -s "$S/hung-pid" ] && [ "$(proc_state "$(cat "$S/hung-pid")")" = T ]; }
restarted_from() { local p; p=$(main_pid); [ "${p:-0}" != 0 ] && [ "$p" != "$1" ] && active compliance-agent.service; }
# newest_with REVISION: the newest generation at that revision.
newest_with() {
  local d n=""
  for d in $(ls "$SIM/system/generations" | sort -n); do
    [ "$(cat "$SIM/system/generations/$d/revision")" = "$1" ] && n=$d
  done
  echo "$n"
}
system_state_is() { [ "$(systemctl is-system-running)" = "$1" ]; }
rebuild_logged() { grep -q -- "$1" "$S/rebuilds.log" 2>/dev/null; }
watchdog_killed() { agent_said "$1" 'Watchdog timeout' 1 && [ ! -d "/proc/$2" ]; }

# Issue 13 (g) and daemon case 4: the patching check against the simulated
# profile, its health judged by the real systemd.
patching_scenarios() {
  # Every instance of the window ends at 00:00 UTC and a rebuild needs
  # rebuild_timeout_secs (120) of it: never start within 5 min of that.
  local s=$(($(date +%s) % 86400))
  if [ "$s" -gt $((86400 - 300)) ]; then
    say "waiting for 00:00 UTC (maintenance window)"
    sleep $((86400 - s + 5))
  fi
  check system-running "the real system is running before ($(systemctl is-system-running); failed: $(systemctl list-units --failed --plain --no-legend | cut -d' ' -f1 | tr '\n' ' '))" \
    system_state_is running
  check patching-compliant "generation $(sim_gen) at the approved revision" test "$(sim_rev)" = "$APPROVED"

  # (g) A hang injected through the simulated nixos-rebuild: the agent's
  # main process is stopped while its rebuild runs; systemd's watchdog
  # kills it (SIGABRT, then SIGCONT), restarts it (Restart=on-failure,
  # RestartSec=30 as shipped), and the restarted agent resolves the open
  # journal row: the rebuild went through and the system is healthy.
  local pid n0 t
  pid=$(main_pid)
  n0=$(systemctl show -P NRestarts compliance-agent.service)
  t=$(date +%s)
  touch "$S/inject-hang"
  check drift-rogue "switched by hand to another revision" operator_switch "github:clinic/appliance#rogue"
  check hang-injected "the agent's rebuild stopped it (SIGSTOP)" within 120 hung
  check hang-main-pid "the stopped process is the main pid $pid" test "$(cat "$S/hung-pid" 2>/dev/null)" = "$pid"
  check watchdog-kill "systemd: Watchdog timeout; the process is gone" within 60 watchdog_killed "$t" "$pid"
  check watchdog-restart "systemd restarted it" within 120 restarted_from "$pid"
  check watchdog-nrestarts "NRestarts $n0 -> $(systemctl show -P NRestarts compliance-agent.service)" \
    test "$(systemctl show -P NRestarts compliance-agent.service)" -gt "$n0"
  check hang-resolved "the journal row resolved: remediation patching success, interrupted, at the MCP" \
    host await kind=remediation check=patching outcome=success reason=interrupted
  check hang-patched "generation $(sim_gen) runs the approved revision" test "$(sim_rev)" = "$APPROVED"

  # Daemon case 4: a rebuild that leaves the system degraded (a real
  # failed unit) is rolled back to the recorded generation: `reverted`.
  pid=$(main_pid)
  touch "$S/degrade-next-rebuild"
  check drift-again "switched by hand to another revision" operator_switch "github:clinic/appliance#rogue"
  local recorded
  recorded=$(newest_with "$ROGUE")
  check rebuild-degraded "the agent's rebuild left the real system degraded" \
    within 120 rebuild_logged 'switch --flake .* -> 0; .*; degraded$'
  check rolled-back "back on generation $recorded, the recorded one" \
    within 120 rebuild_logged "switch --rollback -> 0; generations/$recorded; running\$"
  check rollback-running "the real system is running again" within 30 system_state_is running
  check rollback-evidence "remediation patching reverted at the MCP" \
    host await kind=remediation check=patching outcome=reverted
  check rollback-same-agent "no restart meanwhile" test "$(main_pid)" = "$pid"
  # Back to the approved revision by hand: the episode ends.
  operator_switch "github:clinic/appliance#appl-01"
  check patching-back "generation $(sim_gen) at the approved revision" test "$(sim_rev)" = "$APPROVED"
}

# A LUKS2 volume on a loop file, opened at every boot by crypttab.
make_luks() {
  head -c 32 /dev/urandom >"$S/luks.key"
  chmod 0400 "$S/luks.key"
  truncate -s 32M "$S/luks.img"
  cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$S/luks.key" "$S/luks.img" &&
    cryptsetup open --key-file "$S/luks.key" "$S/luks.img" vmcrypt &&
    echo "vmcrypt $S/luks.img $S/luks.key luks" >/etc/crypttab
}

# The firewall: Debian's nftables.service loads the signed baseline.
install_firewall() {
  printf '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/compliance-agent/firewall.nft"\n' >/etc/nftables.conf
}

phase_setup() {
  say "setup: $(uname -r), $(systemctl --version | head -1)"
  install_agent
  install_clinic_service
  install_firewall
  make_sim
  check luks-volume "LUKS2 (pbkdf2) on a loop file, opened" make_luks
  systemctl daemon-reload
  systemctl enable --now nftables.service clinic-emr.service
  systemctl enable compliance-agent-egress.service compliance-agent.service
  check config-check "config check --offline passes with the rendered config" \
    "$AGENT" --config /etc/compliance-agent/config.json config check --offline

  # (a) The rendered Type=notify unit starts: `systemctl start` returns
  # once the agent said READY=1.
  local t0=$SECONDS
  if ! systemctl start compliance-agent.service; then
    fail start "systemctl start compliance-agent.service failed"
    finish
    return
  fi
  ok start "systemctl start returned (READY=1)"
  local pid
  pid=$(main_pid)
  say "started in $((SECONDS - t0)) s, main pid $pid"
  check active "ActiveState=active SubState=running Type=notify" \
    test "$(systemctl show -P ActiveState compliance-agent.service) $(systemctl show -P SubState compliance-agent.service) $(systemctl show -P Type compliance-agent.service)" = "active running notify"
  check watchdog "WatchdogUSec=20s" test "$(systemctl show -P WatchdogUSec compliance-agent.service)" = 20s
  # The hardening is in force on the running process.
  check no-capabilities "CapEff and CapBnd empty" \
    grep -qxE 'CapEff:\s+0+' "/proc/$pid/status"
  check no-new-privs "NoNewPrivs: 1" grep -qxE 'NoNewPrivs:\s+1' "/proc/$pid/status"
  check seccomp "Seccomp: 2 (filter)" grep -qxE 'Seccomp:\s+2' "/proc/$pid/status"
  check cgroup "runs in system.slice/compliance-agent.service" \
    grep -qx '0::/system.slice/compliance-agent.service' "/proc/$pid/cgroup"
  check egress-loaded "egress filter holds the agent's cgroup" \
    sh -c "nft list set inet compliance-agent-egress agents | grep -q 'system.slice/compliance-agent.service'"
  check status-text "STATUS= reaches systemctl" test -n "$(systemctl show -P StatusText compliance-agent.service)"
  check evidence-at-mcp "a cycle's evidence reached the host MCP over mTLS" host await kind=cycle
  check no-listening "the agent holds no listening socket" sh -c "! ss -Hnp state listening | grep 'pid=$pid,'"
  check journal "the agent logs to journald under its unit" sh -c "journalctl -q -u compliance-agent.service -o cat | grep -q ."

  # Daemon cases 1 and 2: a forged and an expired order from the MCP.
  check orders "the MCP lists a forged and an expired order" host orders
  check order-forged "forged order: rejected, bad_signature" host await kind=order outcome=rejected reason=bad_signature
  check order-expired "expired order: expired, ttl_elapsed" host await kind=order outcome=expired reason=ttl_elapsed

  # (b) A critical service stopped: the agent restarts it.
  systemctl stop clinic-emr.service
  check service-restarted "clinic-emr.service active again" within 120 active clinic-emr.service
  check service-evidence "remediation services success at the MCP" \
    host await kind=remediation check=services outcome=success

  # (c) A rule added to the live ruleset: the signed baseline comes back.
  nft add rule inet filter input tcp dport 4444 drop
  check rule-added "the rule is live" sh -c "nft list chain inet filter input | grep -q 'dport 4444'"
  check rule-removed "the baseline is restored" within 120 sh -c "! nft list chain inet filter input | grep -q 'dport 4444'"
  check firewall-evidence "remediation firewall success at the MCP" \
    host await kind=remediation check=firewall outcome=success
  check egress-survives "the egress table is left alone" \
    sh -c "nft list set inet compliance-agent-egress agents | grep -q 'system.slice/compliance-agent.service'"

  # (d) journald stopped, with its sockets (else a log line restarts it).
  systemctl stop systemd-journald.socket systemd-journald-dev-log.socket systemd-journald-audit.socket systemd-journald.service
  check journald-stopped "journald is down" sh -c "! systemctl is-active -q systemd-journald.service"
  check journald-restarted "the agent restarted journald" within 120 active systemd-journald.service
  check logging-evidence "remediation logging success at the MCP" \
    host await kind=remediation check=logging outcome=success

  # (e) The LUKS volume closed: an alert, and the volume is never touched.
  local t
  t=$(date +%s)
  cryptsetup close vmcrypt
  check luks-alert "alert: encryption drift at the MCP" host await kind=alert check=encryption reason=drift
  check luks-cycles "two more cycles see it" within 120 agent_said "$t" "not compliant: encryption" 3
  check luks-untouched "the volume is still closed" test ! -e /dev/mapper/vmcrypt
  cryptsetup open --key-file "$S/luks.key" "$S/luks.img" vmcrypt

  # (h) The egress filter: a connection from the agent's cgroup to anything
  # but the MCP is dropped and counted. The probe joins the agent's cgroup;
  # the target is a closed port on the guest's own loopback (refused at
  # once from anywhere else).
  local before after
  before=$(nft list counter inet compliance-agent-egress dropped | grep -o 'packets [0-9]*' | cut -d' ' -f2)
  local rc_out
  rc_out=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8099' 2>/dev/null; echo $?)
  check egress-control "outside the agent's cgroup: refused at once (status $rc_out)" test "$rc_out" = 1
  timeout 6 bash -c 'echo $BASHPID > /sys/fs/cgroup/system.slice/compliance-agent.service/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/8099' 2>/dev/null
  local rc=$?
  after=$(nft list counter inet compliance-agent-egress dropped | grep -o 'packets [0-9]*' | cut -d' ' -f2)
  check egress-dropped "inside: no answer (timeout, status $rc), dropped $before -> $after" \
    test "$rc" = 124 -a "$after" -gt "$before"
  check egress-logged "the drop is logged" sh -c "journalctl -q -k -o cat | grep -q 'compliance-agent egress drop: '"

  # Daemon case 5: the MCP's name stops resolving (no DNS server, only the
  # loopback): an alert once, the cycles go on; then it resolves again.
  t=$(date +%s)
  sed -i '/mcp.test/d' /etc/hosts
  check dns-failing "polls fail on DNS" within 120 agent_said "$t" "dns failure" 3
  echo "10.0.2.100 mcp.test" >>/etc/hosts
  check dns-alert "alert mcp_unreachable (dns) at the MCP" host await kind=alert reason=mcp_unreachable 'detail^=dns: '

  # (f) systemctl stop: STOPPING=1, a clean exit; then start again.
  pid=$(main_pid)
  t=$(date +%s)
  systemctl log-level debug
  local s0=$SECONDS
  systemctl stop compliance-agent.service
  local took=$((SECONDS - s0))
  systemctl log-level info
  check stop-clean "Result=success, exit 0, in $took s" \
    test "$(systemctl show -P Result compliance-agent.service) $(systemctl show -P ExecMainStatus compliance-agent.service)" = "success 0"
  check stop-fast "stopped within 10 s" test "$took" -le 10
  check stopping-sent "STOPPING=1 from the main pid" \
    sh -c "journalctl -q --since @$t -o cat | grep -q 'Got notification message from PID $pid (.*STOPPING=1'"
  check restart "started again" systemctl start compliance-agent.service

  patching_scenarios

  # Daemon case 3 and (i): the MCP down for many cycles while a heal
  # happens, then a reboot with the backlog queued.
  check mcp-down "the host took the MCP down" host mcp-down
  t=$(date +%s)
  check mcp-failing "polls fail while it is down" within 120 agent_said "$t" "poll: MCP" 3
  systemctl stop clinic-emr.service
  check heal-while-down "clinic-emr.service healed while the MCP is down" within 120 active clinic-emr.service
  check backlog "evidence queued" within 60 has_backlog
  unpushed >"$S/backlog-before-reboot"
  echo reboot >"$S/phase"
  say "rebooting with $(cat "$S/backlog-before-reboot") bundles unpushed"
  systemctl reboot
}

phase_after_reboot() {
  say "after the reboot: boot $(cat /proc/sys/kernel/random/boot_id)"
  check boot-start "the agent came up at boot (enabled unit)" within 120 active compliance-agent.service
  local n
  n=$(unpushed)
  check backlog-kept "backlog after reboot $n >= before $(cat "$S/backlog-before-reboot")" \
    test "${n:-0}" -ge "$(cat "$S/backlog-before-reboot")"
  check mcp-up "the host brought the MCP back" host mcp-up
  check drained "the backlog drains" within 180 drained
  check heal-evidence "remediation services success queued while down, at the MCP" \
    host await kind=remediation check=services outcome=success count=2
  finish
}

finish() {
  journalctl -q --no-pager -o short-monotonic -b >"$OUT/journal.txt" 2>&1
  systemctl stop compliance-agent.service
  check final-stop "final stop clean" \
    test "$(systemctl show -P Result compliance-agent.service)" = success
  cp /var/lib/compliance-agent/agent.db "$OUT/agent.db"
  echo done >"$OUT/done"
  say "done"
  systemctl poweroff
}

case "$(cat "$S/phase" 2>/dev/null)" in
"") phase_setup ;;
reboot) echo finished >"$S/phase"; phase_after_reboot ;;
*) say "nothing to do in phase $(cat "$S/phase")" ;;
esac
