# What the NixOS module would generate for the Debian guest of the VM tier,
# rendered without nixpkgs:
#
#   nix-instantiate --eval --strict --json vm-tests/debian/render.nix \
#     --argstr orderKey <base64>
#
# The very functions the module calls (nixos-module/units.nix, egress.nix,
# settings.nix, ini.nix) with Debian's paths in place of store paths: the
# units, tool wrappers, egress filter and config.json that run in the guest
# are the module's own, only the paths differ. tests/vm_debian.rs writes
# them into the guest.
{
  # The order key the test signs with (raw Ed25519 public key, base64).
  orderKey,
  # Where the guest reaches the MCP: QEMU's guestfwd address.
  mcpAddress ? "10.0.2.100",
  # Short enough for the watchdog scenario to fit the tier's time budget;
  # the module asserts 2 * (connect + request timeout) < watchdogSec.
  watchdogSec ? 20,
  # checks.patching.rebuild_timeout_secs, also given to the units as the
  # module does: short, so the maintenance window (all day, every day) is
  # "open long enough" at any time but the last two minutes before 00:00 UTC.
  rebuildTimeout ? 120,
}:
let
  inherit (builtins) attrNames listToAttrs map mapAttrs;
  lib = "/usr/local/lib/compliance-agent";
  agent = "/usr/local/bin/compliance-agent";
  tools = {
    systemdRun = "/usr/bin/systemd-run";
    nft = "/usr/sbin/nft";
    cryptsetup = "/usr/sbin/cryptsetup";
    lsblk = "/usr/bin/lsblk";
    restic = "/usr/bin/restic";
    # Simulated in the guest (a Debian system has no NixOS generations).
    nixosRebuild = "${lib}/sim/nixos-rebuild";
    bash = "/bin/bash";
    rebuildPath = "/usr/sbin:/usr/bin:/sbin:/bin";
    nftWrapper = "${lib}/tools/nft";
  };

  egress = import ../../nixos-module/egress.nix {
    nft = tools.nft;
    bash = tools.bash;
    mcp = [ { address = mcpAddress; port = 443; } ];
    # No DNS server: the guest finds mcp.test in /etc/hosts (the egress
    # filter still lets a resolver on the loopback through).
    dns = [ ];
  };

  units = import ../../nixos-module/units.nix {
    inherit agent watchdogSec tools;
    rebuildTimeoutSecs = rebuildTimeout;
    egress = {
      load = "${lib}/egress-load";
      add = "${lib}/egress-add";
      allow = egress.allow;
    };
  };

  settingsLib = import ../../nixos-module/settings.nix;
  inherit (import ../../nixos-module/ini.nix) unitFile;

  opts = settingsLib.withDefaults {
    siteId = "clinic-042";
    applianceId = "appl-01";
    pollInterval = 2;
    inherit watchdogSec;
    mcp = {
      url = "https://mcp.test";
      caFile = "/etc/compliance-agent/ca.pem";
      clientCertFile = "/etc/compliance-agent/client.pem";
      clientKeyFile = "/etc/compliance-agent/client.key";
      orderKeys = [ { keyid = "test-2026a"; publicKey = orderKey; } ];
      connectTimeout = 3;
      requestTimeout = 5;
    };
    evidenceKeyFile = "/etc/compliance-agent/evidence.key";
    maintenanceWindow = {
      days = [ "mon" "tue" "wed" "thu" "fri" "sat" "sun" ];
      start = "00:00";
      durationMinutes = 1440;
      # No time zone: UTC (the guest has no tz database).
    };
    checks = {
      # The simulated NixOS system (tests/simhost/tools in the guest, state
      # in /var/lib/vm-test/sim): generation 1 is this revision.
      patching = {
        enable = true;
        flakeRef = "github:clinic/appliance#appl-01";
        allowedFlakePrefixes = [ "github:clinic/appliance" ];
        expectedRevision = "3f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39";
        inherit rebuildTimeout;
      };
      services = { enable = true; units = [ "clinic-emr.service" ]; };
      firewall = {
        enable = true;
        baselineFile = "/etc/compliance-agent/firewall.nft";
        baselineSigFile = "/etc/compliance-agent/firewall.nft.sig";
      };
      logging.enable = true;
      encryption = { enable = true; volumes = [ "vmcrypt" ]; };
    };
    logLevel = "info";
    settings = {
      jitter_percent = 0;
      # The stand-in for /run/current-system: the simulated profile's link
      # (a Debian guest has no NixOS generations).
      checks.patching.current_system = "/var/lib/vm-test/sim/system/current-system";
    };
    tools = {
      systemctl = "/usr/bin/systemctl";
      journalctl = "/usr/bin/journalctl";
      logger = "/usr/bin/logger";
      nixos_version = "${lib}/sim/nixos-version";
    } // mapAttrs (n: _: "${lib}/tools/${n}") units.wrapped;
  };
in
{
  units = mapAttrs (n: s: unitFile s)
    (listToAttrs (map (n: { name = "${n}.service"; value = units.services.${n}; }) (attrNames units.services)));
  wrappers = units.wrappers;
  egress = {
    ruleset = egress.ruleset;
    load = egress.load "/etc/compliance-agent/egress.nft";
    add = egress.add;
  };
  # The module's extra ignored table: the egress filter's own.
  settings = settingsLib.render opts [ "inet compliance-agent-egress" ];
}
