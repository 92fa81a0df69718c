# Evaluates the real module (../default.nix) with nixpkgs' lib, on each
# example, with stand-ins for `pkgs` and for the NixOS options the module
# sets, and compares what it generates with ../render.nix's pure rendering:
# the configuration file and every unit file must be identical.
#
# Needs nixpkgs' lib (no nixpkgs code is committed here), e.g. a checkout of
# the nixpkgs.lib mirror:
#
#   nix-instantiate --eval --strict --json nixos-module/tests/eval-with-lib.nix \
#     --arg lib 'import /path/to/nixpkgs.lib/lib'
#
# Prints { <example> = { same_config; same_units; failed_assertions; }; ...,
# broken = { <case> = [ assertion messages ] } }. It runs where nixpkgs' lib
# is at hand (docs/deployment.md says where it was run); CI has no nixpkgs.
{ lib }:
let
  inherit (lib) mkOption types;
  placeholder = name: "/nix/store/00000000000000000000000000000000-${name}";
  drv = name: { outPath = placeholder name; };

  pkgs = {
    formats.json = { }: {
      type = types.attrsOf types.anything;
      generate = name: value: { outPath = placeholder name; json = value; };
    };
    writeText = name: text: { outPath = placeholder name; inherit text; };
    writeScript = name: text: { outPath = placeholder name; inherit text; };
    nftables = drv "nftables-1.1.1";
    cryptsetup = drv "cryptsetup-2.7.5";
    util-linux = drv "util-linux-2.40";
    restic = drv "restic-0.17.3";
    bash = drv "bash-5.2";
    coreutils = drv "coreutils-9.5";
    gnutar = drv "gnutar-1.35";
    xz = { bin = drv "xz-5.6"; };
    gzip = drv "gzip-1.13";
    gitMinimal = drv "git-2.47";
  };

  # The NixOS options the module reads or sets, as loose stand-ins.
  stubs = { name, ... }: {
    options = {
      assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
      environment.etc = mkOption { type = types.attrsOf types.anything; default = { }; };
      environment.systemPackages = mkOption { type = types.listOf types.anything; default = [ ]; };
      systemd.services = mkOption { type = types.attrsOf types.anything; default = { }; };
      systemd.slices = mkOption { type = types.attrsOf types.anything; default = { }; };
      systemd.tmpfiles.rules = mkOption { type = types.listOf types.str; default = [ ]; };
      systemd.package = mkOption { type = types.anything; default = drv "systemd-257"; };
      system.build = mkOption { type = types.attrsOf types.anything; default = { nixos-rebuild = drv "nixos-rebuild"; }; };
      nix.package = mkOption { type = types.anything; default = { out = drv "nix-2.24"; }; };
      programs.ssh.package = mkOption { type = types.anything; default = drv "openssh-9.9"; };
      networking.nameservers = mkOption { type = types.listOf types.str; default = [ ]; };
      sops.secrets = mkOption {
        default = { };
        type = types.attrsOf (types.submodule ({ name, ... }: {
          options.path = mkOption { type = types.str; default = "/run/secrets/${name}"; };
        }));
      };
    };
  };

  evalWith = modules: lib.evalModules {
    modules = [
      stubs
      ../default.nix
      { _module.args.pkgs = pkgs; services.compliance-agent.package = drv "compliance-agent-0.1.0"; }
    ] ++ modules;
  };

  failed = c: map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);

  rendered = import ../render.nix;
  inherit (import ../ini.nix) unitFile;

  compare = name: file:
    let
      c = (evalWith [ file ]).config;
      settings = c.environment.etc."compliance-agent/config.json".source.json;
      units = lib.mapAttrs' (n: s: lib.nameValuePair "${n}.service" (unitFile s)) c.systemd.services;
      pureUnits = lib.filterAttrs (n: _: !(lib.hasPrefix "compliance-agent-helper-" n)) rendered.units;
      wrappers = lib.mapAttrs (n: _: c.services.compliance-agent.tools.${n}) rendered.wrappers;
    in
    {
      failed_assertions = failed c;
      same_config = settings == rendered.examples.${name}.settings;
      config_diff = lib.filterAttrs (k: v: (rendered.examples.${name}.settings.${k} or null) != v) settings;
      # The pure rendering uses the direct example's parameters.
      same_units = if name == "direct" then units == pureUnits else null;
      units_differ = if name == "direct" then lib.attrNames (lib.filterAttrs (n: t: (pureUnits.${n} or "") != t) units) else null;
      tools = wrappers;
    };

  # Impossible combinations must be refused, each with its own message.
  base = import ../examples/direct.nix;
  broken = lib.mapAttrs (n: m: failed (evalWith [ base m ]).config) {
    key_in_store = { services.compliance-agent.evidenceKeyFile = lib.mkForce "/nix/store/00000000000000000000000000000000-key"; };
    timeouts_beat_watchdog = { services.compliance-agent.mcp.requestTimeout = 60; };
    egress_without_addresses = { services.compliance-agent.egress.mcpAddresses = lib.mkForce [ ]; };
    zone_and_offset = { services.compliance-agent.settings.maintenance_window.utc_offset_minutes = 60; };
    restarts_itself = { services.compliance-agent.checks.services.units = lib.mkForce [ "compliance-agent.service" ]; };
  };
in
{
  direct = compare "direct" ../examples/direct.nix;
  reseller = compare "reseller" ../examples/reseller.nix;
  inherit broken;
}
