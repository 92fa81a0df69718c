# The seed plan's five scenarios on a real NixOS appliance: a signature
# that does not verify, an expired order, the MCP down then the backlog
# flushed, a rebuild that breaks the system and is rolled back, and DNS
# failing. Each ends in evidence at the MCP.
{ module }:
{ hostPkgs, lib, ... }:
let common = import ./common.nix { inherit lib module; pkgs = hostPkgs; };
in
{
  name = "compliance-agent-scenarios";
  nodes.mcp = common.mcpNode;
  nodes.appliance = common.applianceNode ({ config, pkgs, lib, ... }: {
    # A system whose activation leaves a critical unit failed: what a bad
    # rebuild looks like. The rebuild helper runs a stand-in for
    # nixos-rebuild that switches to it (building from a flake needs a
    # network the test has not), and rolls back the way nixos-rebuild does.
    specialisation.broken.configuration = {
      systemd.services.critical-demo.serviceConfig.ExecStart = lib.mkForce "${pkgs.coreutils}/bin/false";
    };
    services.compliance-agent.rebuildCommand = "${pkgs.writeShellScript "fake-nixos-rebuild" ''
      set -eu
      profile=/nix/var/nix/profiles/system
      case "$*" in
        "switch --flake "*)
          ${config.nix.package}/bin/nix-env -p $profile --set ${config.specialisation.broken.configuration.system.build.toplevel}
          exec $profile/bin/switch-to-configuration switch ;;
        "switch --rollback")
          ${config.nix.package}/bin/nix-env -p $profile --rollback
          exec $profile/bin/switch-to-configuration switch ;;
        *) echo "unexpected: $*" >&2; exit 2 ;;
      esac
    ''}";
    services.compliance-agent.checks.patching = {
      enable = true;
      flakeRef = "github:example-msp/clinic-fleet#appl-01";
      allowedFlakePrefixes = [ "github:example-msp/clinic-fleet" ];
    };
  });
  testScript = ''
    import json
    start_all()
    mcp.wait_for_open_port(443)
    appliance.wait_for_unit("compliance-agent.service")
    mcp.wait_until_succeeds("ls /var/lib/mcp/bundles | grep -q .", timeout=120)

    def serve(args):
        mcp.succeed(f"sign-order {args} > /var/lib/mcp/orders.json")

    def evidence_has(text, timeout=180):
        mcp.wait_until_succeeds(f"grep -l -- '{text}' /var/lib/mcp/bundles/*.json", timeout=timeout)

    with subtest("signature fail: refused, evidence says why, nothing runs"):
        serve("restart_service '{\"unit\": \"critical-demo.service\"}' 900 0 --bad-signature")
        evidence_has("bad_signature")
        mcp.succeed("echo [] > /var/lib/mcp/orders.json")

    with subtest("TTL expired: refused as expired"):
        serve("run_checks '{}' 60 -3600")
        evidence_has("expired")
        mcp.succeed("echo [] > /var/lib/mcp/orders.json")

    with subtest("MCP down, then the backlog is flushed"):
        mcp.succeed("systemctl stop mcp-stub")
        appliance.wait_until_succeeds("compliance-agent status --json | grep -q '\"state\": \"undelivered\"'", timeout=120)
        mcp.succeed("systemctl start mcp-stub")
        appliance.wait_until_succeeds("compliance-agent status --json | grep -q '\"state\": \"ok\"'", timeout=300)

    with subtest("DNS failure: the cycle goes on offline and says dns"):
        mcp.succeed("systemctl stop dnsmasq")
        appliance.wait_until_succeeds("journalctl -u compliance-agent | grep -qi 'dns'", timeout=120)
        mcp.succeed("systemctl start dnsmasq")
        evidence_has("mcp_unreachable", timeout=300)

    with subtest("rebuild failure: rolled back, evidence says reverted"):
        before = appliance.succeed("readlink -f /run/current-system").strip()
        serve("nixos_rebuild '{\"flake_ref\": \"github:example-msp/clinic-fleet#appl-01\"}'")
        evidence_has("reverted", timeout=600)
        mcp.succeed("echo [] > /var/lib/mcp/orders.json")
        after = appliance.succeed("readlink -f /run/current-system").strip()
        assert before == after, (before, after)
        appliance.succeed("systemctl is-active critical-demo.service")
        # The rebuild ran in its helper unit, not in the agent's.
        appliance.succeed("journalctl --no-pager | grep -q 'compliance-agent helper: nixos-rebuild'")
        # The agent was not restarted by the switches.
        appliance.succeed("test $(systemctl show -P NRestarts compliance-agent) = 0")
  '';
}
