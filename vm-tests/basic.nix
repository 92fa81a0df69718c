# READY and the hardening in force, no listening socket, a full cycle.
{ module }:
{ hostPkgs, lib, ... }:
let common = import ./common.nix { inherit lib module; pkgs = hostPkgs; };
in
{
  name = "compliance-agent-basic";
  nodes.mcp = common.mcpNode;
  nodes.appliance = common.applianceNode { };
  testScript = ''
    start_all()
    mcp.wait_for_unit("mcp-stub.service")
    mcp.wait_for_open_port(443)

    # READY=1: a Type=notify unit is "active" only after it.
    appliance.wait_for_unit("compliance-agent.service")
    appliance.succeed("systemctl show -P StatusText compliance-agent | grep -E 'idle|poll|detect|heal|attest|flush'")

    with subtest("the sandbox is in force"):
        pid = appliance.succeed("systemctl show -P MainPID compliance-agent").strip()
        status = appliance.succeed(f"cat /proc/{pid}/status")
        assert "CapEff:\t0000000000000000" in status, status
        assert "CapBnd:\t0000000000000000" in status, status
        assert "NoNewPrivs:\t1" in status, status
        assert "Seccomp:\t2" in status, status
        appliance.succeed("systemctl show -P ProtectSystem compliance-agent | grep -x strict")
        appliance.succeed("systemctl show -P SocketBindDeny compliance-agent | grep -x any")
        appliance.succeed("systemctl show -P RestartIfChanged compliance-agent || true")
        # The same score CI computes offline for the rendered unit.
        appliance.succeed("systemd-analyze security --threshold=20 compliance-agent.service")
        # Writes outside the state directory fail.
        appliance.fail(f"nsenter -t {pid} -m touch /etc/compliance-agent/x")

    with subtest("no listening socket, ever"):
        # Every socket inode the agent holds, against the kernel's tables
        # of listening sockets (TCP/UDP v4/v6 state 0A/07, and unix).
        appliance.succeed(f"""
          set -eu
          inodes=$(ls -l /proc/{pid}/fd | sed -n 's/.*socket:\\[\\([0-9]*\\)\\].*/\\1/p')
          for i in $inodes; do
            if awk -v i="$i" '$10 == i && ($4 == "0A" || $4 == "07") {{found=1}} END {{exit !found}}' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; then
              echo "listening socket $i" >&2; exit 1
            fi
            if awk -v i="$i" '$7 == i && $6 == "01" && $5 == "00010000" {{found=1}} END {{exit !found}}' /proc/net/unix; then
              echo "listening unix socket $i" >&2; exit 1
            fi
          done
        """)
        # bind(2) on an IP socket inside the unit's cgroup is refused.
        appliance.fail("systemd-run --wait --pipe -p SocketBindDeny=any -p Slice=system.slice python3 -c 'import socket; socket.socket().bind((\"0.0.0.0\", 8080))'")

    with subtest("a full cycle: evidence reaches the MCP"):
        mcp.wait_until_succeeds("ls /var/lib/mcp/bundles | grep -q .", timeout=120)
        appliance.wait_until_succeeds("compliance-agent status --json | grep -q '\"state\": \"ok\"'", timeout=180)

    with subtest("the maintenance run stops the daemon and starts it again"):
        appliance.succeed("systemctl start compliance-agent-once.service || true")
        appliance.wait_for_unit("compliance-agent.service")

    with subtest("the helpers run the privileged tools in their own units"):
        appliance.succeed("journalctl -u 'run-*' --no-pager | grep -q 'compliance-agent helper: nft'")
  '';
}
