# Renders, without nixpkgs, what the module generates: the unit files, the
# helper units (as .service files, for scoring), the tool wrappers, the
# egress filter and the example configurations' config.json. CI runs
#
#   nix-instantiate --eval --strict --json nixos-module/render.nix
#
# and writes the result out (.ci/nixos-units.py). Store paths here are
# placeholders of the right shape; on a NixOS system the module passes the
# real ones to the very same functions (./units.nix, ./egress.nix,
# ./settings.nix), so only the paths differ.
let placeholderStore = "/nix/store"; in
let
  inherit (builtins) attrNames concatStringsSep concatLists filter isList isAttrs listToAttrs map mapAttrs replaceStrings;

  store = name: "${placeholderStore}/00000000000000000000000000000000-${name}";

  settingsLib = import ./settings.nix;

  agent = "${store "compliance-agent-0.1.0"}/bin/compliance-agent";
  realTools = {
    systemdRun = "${store "systemd-257"}/bin/systemd-run";
    systemctl = "${store "systemd-257"}/bin/systemctl";
    journalctl = "${store "systemd-257"}/bin/journalctl";
    nft = "${store "nftables-1.1.1"}/bin/nft";
    cryptsetup = "${store "cryptsetup-2.7.5"}/bin/cryptsetup";
    lsblk = "${store "util-linux-2.40"}/bin/lsblk";
    logger = "${store "util-linux-2.40"}/bin/logger";
    restic = "${store "restic-0.17.3"}/bin/restic";
    nixosRebuild = "${store "nixos-rebuild"}/bin/nixos-rebuild";
    nixosVersion = "/run/current-system/sw/bin/nixos-version";
    bash = "${store "bash-5.2"}/bin/bash";
    rebuildPath = concatStringsSep ":" (map (p: "${store p}/bin") [ "coreutils-9.5" "git-2.47" "nix-2.24" "gnutar-1.35" "gzip-1.13" "xz-5.6" "openssh-9.9" ]);
    nftWrapper = store "compliance-agent-tool-nft";
  };

  egressParams = {
    nft = realTools.nft;
    bash = realTools.bash;
    mcp = [ { address = "192.0.2.10"; port = 443; } { address = "2001:db8::10"; port = 443; } ];
    dns = [ "192.0.2.53" ];
    ntp = [ ];
  };
  egress = import ./egress.nix egressParams;

  units = import ./units.nix {
    inherit agent;
    readWritePaths = [ "/var/lib/node-exporter-textfiles" ];
    egress = {
      load = store "compliance-agent-egress-load";
      add = store "compliance-agent-egress-add";
      allow = egress.allow;
    };
    tools = realTools;
  };

  inherit (import ./ini.nix) unitFile;

  # A helper's sandbox as a unit file (what the wrapper passes to
  # systemd-run with -p), so that it can be scored like the others.
  helperFile = name: h: unitFile {
    description = h.description;
    environment = h.environment;
    serviceConfig = { Type = "exec"; ExecStart = helperTool.${name}; } // h.properties;
  };
  helperTool = {
    nft = realTools.nft;
    netns = "${agent} __nft-canonical";
    storage = realTools.cryptsetup;
    restic = realTools.restic;
    rebuild = realTools.nixosRebuild;
  };

  # ---- example configurations ----
  # An example is a NixOS module; it is evaluated here with a stand-in for
  # sops-nix's `config.sops.secrets.<name>.path` (/run/secrets/<name>, as
  # sops-nix sets it) and the module's defaults filled in.
  example = file:
    let
      ex = import file { config = fakeConfig; lib = null; pkgs = null; };
      fakeConfig = {
        sops.secrets = mapAttrs (n: v: { path = "/run/secrets/${n}"; } // v) (ex.sops.secrets or { });
      };
      opts = settingsLib.withDefaults (removeAttrs ex.services.compliance-agent [ "enable" ]);
      tools = {
        systemctl = realTools.systemctl;
        journalctl = realTools.journalctl;
        logger = realTools.logger;
        nixos_version = realTools.nixosVersion;
      } // mapAttrs (n: _: store "compliance-agent-tool-${n}") units.wrapped;
      egressOn = (opts.egress.enable or true);
      extraIgnore = if egressOn && opts.checks.firewall.enable then [ "inet compliance-agent-egress" ] else [ ];
    in
    {
      settings = settingsLib.render (opts // { inherit tools; }) extraIgnore;
    };
in
{
  units =
    mapAttrs (n: s: unitFile s) (listToAttrs (map (n: { name = "${n}.service"; value = units.services.${n}; }) (attrNames units.services)))
    // listToAttrs (map (n: { name = "compliance-agent-helper-${n}.service"; value = helperFile n units.helpers.${n}; }) (attrNames units.helpers));

  wrappers = units.wrappers;

  egress = {
    ruleset = egress.ruleset;
    load = egress.load (store "compliance-agent-egress.nft");
    add = egress.add;
  };

  examples = {
    direct = example ./examples/direct.nix;
    reseller = example ./examples/reseller.nix;
  };
}
