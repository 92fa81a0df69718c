# The egress filter: the agent's units reach the MCP, DNS and nothing else;
# the rest is dropped and counted, and survives an nftables reload.
{ module }:
{ hostPkgs, lib, ... }:
let common = import ./common.nix { inherit lib module; pkgs = hostPkgs; };
in
{
  name = "compliance-agent-egress";
  nodes.mcp = { ... }: {
    imports = [ common.mcpNode ];
    # Something else on the MCP node that the agent must not reach.
    networking.firewall.allowedTCPPorts = [ 8080 ];
    systemd.services.other = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig.ExecStart = "${hostPkgs.python3}/bin/python3 -m http.server 8080";
    };
  };
  nodes.appliance = common.applianceNode { };
  testScript = ''
    start_all()
    mcp.wait_for_open_port(443)
    mcp.wait_for_open_port(8080)
    appliance.wait_for_unit("compliance-agent.service")
    appliance.wait_for_unit("compliance-agent-egress.service")

    # Outside the agent's units: allowed (this is not a host firewall).
    appliance.succeed("curl -s -m 5 -o /dev/null http://192.168.1.2:8080/")

    def in_agent_cgroup(cmd):
        # nsenter keeps the command in our cgroup; move it into the agent's.
        return f"sh -c 'echo $$ > /sys/fs/cgroup/system.slice/compliance-agent.service/cgroup.procs && exec {cmd}'"

    with subtest("the MCP is reachable from the agent's cgroup"):
        appliance.succeed(in_agent_cgroup("curl -sk -m 5 -o /dev/null https://192.168.1.2/api/v1/orders || test $? = 56"))

    with subtest("anything else is dropped and counted"):
        before = appliance.succeed("nft -j list counter inet compliance-agent-egress dropped")
        appliance.fail(in_agent_cgroup("curl -s -m 5 -o /dev/null http://192.168.1.2:8080/"))
        after = appliance.succeed("nft -j list counter inet compliance-agent-egress dropped")
        assert before != after, (before, after)
        appliance.succeed("journalctl -k | grep -q 'compliance-agent egress drop'")

    with subtest("IPAddressDeny= drops what the nft table does not know"):
        appliance.succeed("systemctl show -P IPAddressDeny compliance-agent | grep -q 0.0.0.0/0")

    with subtest("an nftables reload does not leave the agent unfiltered"):
        appliance.succeed("systemctl reload nftables.service || systemctl restart nftables.service")
        appliance.wait_until_succeeds("nft list set inet compliance-agent-egress agents | grep -q compliance-agent.service")
        appliance.fail(in_agent_cgroup("curl -s -m 5 -o /dev/null http://192.168.1.2:8080/"))

    with subtest("the agent still completes cycles"):
        appliance.wait_until_succeeds("compliance-agent status --json | grep -q '\"state\": \"ok\"'", timeout=180)
  '';
}
