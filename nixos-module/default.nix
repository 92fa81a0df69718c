# services.compliance-agent: the NixOS module.
#
# The unit directives come from ./units.nix, the configuration file from
# ./settings.nix, the egress filter from ./egress.nix: pure files that CI
# also renders without nixpkgs (./render.nix), so what CI scores and checks
# is what this module deploys. docs/deployment.md is the operator's guide.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption mkIf types literalExpression;

  cfg = config.services.compliance-agent;
  settingsLib = import ./settings.nix;
  d = settingsLib.defaults;
  json = pkgs.formats.json { };

  storeDir = builtins.storeDir;
  inStore = p: lib.hasPrefix "${storeDir}/" (toString p) || builtins.isPath p;

  # mcp.url = https://host[:port][/prefix]
  urlParts = builtins.match "https://([[][^]]+[]]|[^]/:[]+)(:([0-9]+))?(/.*)?" cfg.mcp.url;
  mcpPort = if urlParts == null || builtins.elemAt urlParts 2 == null then 443
    else lib.toInt (builtins.elemAt urlParts 2);

  egressOn = cfg.egress.enable;
  egress = import ./egress.nix {
    nft = "${pkgs.nftables}/bin/nft";
    bash = "${pkgs.bash}/bin/bash";
    mcp = map (a: { address = a; port = mcpPort; }) cfg.egress.mcpAddresses;
    dns = cfg.egress.dnsServers;
    ntp = cfg.egress.ntpServers;
  };
  egressRuleset = pkgs.writeText "compliance-agent-egress.nft" egress.ruleset;

  realTools = {
    systemdRun = "${config.systemd.package}/bin/systemd-run";
    nft = "${pkgs.nftables}/bin/nft";
    cryptsetup = "${pkgs.cryptsetup}/bin/cryptsetup";
    lsblk = "${pkgs.util-linux}/bin/lsblk";
    restic = "${pkgs.restic}/bin/restic";
    nixosRebuild = cfg.rebuildCommand;
    bash = "${pkgs.bash}/bin/bash";
    rebuildPath = lib.makeBinPath (with pkgs; [
      coreutils gnutar xz.bin gzip gitMinimal config.nix.package.out config.programs.ssh.package
    ]);
  };

  agentBin = "${cfg.package}/bin/compliance-agent";

  mkUnits = wrapperFor: import ./units.nix {
    agent = agentBin;
    configFile = "/etc/compliance-agent/config.json";
    inherit (cfg) stateDir watchdogSec;
    rebuildTimeoutSecs = cfg.checks.patching.rebuildTimeout;
    readWritePaths = lib.optional (cfg.metricsTextfile != null) (dirOf cfg.metricsTextfile);
    egress = if !egressOn then null else {
      load = pkgs.writeScript "compliance-agent-egress-load" (egress.load egressRuleset);
      add = pkgs.writeScript "compliance-agent-egress-add" egress.add;
      allow = egress.allow;
    };
    tools = realTools // { nftWrapper = wrapperFor "nft"; };
  };
  # The wrappers' text does not depend on the nft wrapper's own path, except
  # the unshare wrapper's check of it: build them in two steps.
  units0 = mkUnits (_: "/nonexistent");
  wrapperDrv = name: pkgs.writeScript "compliance-agent-tool-${name}" units0.wrappers.${name};
  units = mkUnits (n: "${wrapperDrv n}");
  wrapperPath = name:
    if name == "unshare" then "${pkgs.writeScript "compliance-agent-tool-unshare" units.wrappers.unshare}"
    else "${wrapperDrv name}";

  defaultTools = {
    systemctl = "${config.systemd.package}/bin/systemctl";
    journalctl = "${config.systemd.package}/bin/journalctl";
    logger = "${pkgs.util-linux}/bin/logger";
    # The running system's own: it says what runs now.
    nixos_version = "/run/current-system/sw/bin/nixos-version";
  } // lib.mapAttrs (n: _: wrapperPath n) units.wrapped;

  toolNames = [ "systemctl" "nft" "nixos_rebuild" "nixos_version" "cryptsetup" "lsblk" "journalctl" "logger" "restic" "unshare" ];

  extraIgnore = lib.optional (egressOn && cfg.checks.firewall.enable) "inet ${egress.table}";
  configFile = json.generate "compliance-agent-config.json" (settingsLib.render cfg extraIgnore);

  pathOpt = description: mkOption { type = types.path; inherit description; };
  # A secret: a string path (a Nix path literal would copy it into the
  # world-readable store), outside the store (assertion below).
  secretOpt = description: mkOption {
    type = types.strMatching "/.*";
    description = description + " An absolute path as a string (sops-nix: `config.sops.secrets.<name>.path`; agenix: `config.age.secrets.<name>.path`), never in the Nix store; root-owned, mode 0400 or 0600.";
  };
  checkOpt = name: description: mkEnableOption "the ${name} check: ${description}";

  secretPaths = [
    { opt = "evidenceKeyFile"; value = cfg.evidenceKeyFile; }
    { opt = "mcp.clientKeyFile"; value = cfg.mcp.clientKeyFile; }
  ] ++ lib.optional (cfg.checks.backups.enable && cfg.checks.backups.restic != null)
    { opt = "checks.backups.restic.passwordFile"; value = cfg.checks.backups.restic.passwordFile; };
in
{
  options.services.compliance-agent = {
    enable = mkEnableOption "compliance-agent, the HIPAA compliance appliance agent (pull-only: it opens no listening socket)";

    package = mkOption {
      type = types.package;
      defaultText = literalExpression "compliance-agent.packages.\${system}.default";
      description = "The compliance-agent package. The flake's nixosModules.default sets it to the flake's own build.";
    };

    siteId = mkOption {
      type = types.strMatching "[A-Za-z0-9._][A-Za-z0-9._-]{0,63}";
      example = "clinic-042";
      description = "This clinic (`site_id`), sent when polling and written into every evidence bundle.";
    };
    applianceId = mkOption {
      type = types.strMatching "[A-Za-z0-9._][A-Za-z0-9._-]{0,63}";
      example = "appl-01";
      description = "This appliance (`appliance_id`); the client certificate must name it.";
    };

    deploymentMode = mkOption {
      type = types.enum [ "direct" "reseller" ];
      default = d.deploymentMode;
      description = ''
        Who sits between the clinic and the MSP (`deployment_mode`).
        `direct`: the MSP runs the MCP and its CA and holds the order-signing keys;
        `mcp.url`, `mcp.caFile` (default /etc/compliance-agent/msp-mcp-ca.pem) and
        `mcp.orderKeys` are the MSP's.
        `reseller`: a reseller runs the MCP and its CA and holds the order-signing
        keys, and the MSP's evidence flows through it; the same options are the
        reseller's (CA default /etc/compliance-agent/reseller-mcp-ca.pem).
        The agent behaves the same in both: the mode is recorded in every evidence
        bundle so an auditor can tell through whose MCP evidence came.
      '';
    };

    stateDir = mkOption {
      type = types.strMatching "/var/lib/.+";
      default = d.stateDir;
      description = "The agent's state (`state_dir`): a systemd StateDirectory, mode 0700.";
    };

    evidenceKeyFile = secretOpt "The Ed25519 evidence signing key (`signing_key_file`; `compliance-agent keygen` makes one).";

    pollInterval = mkOption {
      type = types.ints.positive;
      default = d.pollInterval;
      description = "Seconds between cycles (`poll_interval_secs`), before jitter.";
    };

    mcp = {
      url = mkOption {
        type = types.strMatching "https://[^/?#@ ]+(/[^?#]*)?";
        example = "https://mcp.msp.example";
        description = "The MCP (`mcp.base_url`): the MSP's in direct mode, the reseller's in reseller mode.";
      };
      caFile = mkOption {
        type = types.path;
        default = settingsLib.defaultCaFile cfg.deploymentMode;
        defaultText = literalExpression ''"/etc/compliance-agent/msp-mcp-ca.pem" (direct) or "/etc/compliance-agent/reseller-mcp-ca.pem" (reseller)'';
        description = "The only CA the MCP's certificate may chain to (public; may be in the store).";
      };
      clientCertFile = pathOpt "The appliance's client certificate chain (PEM; public).";
      clientKeyFile = secretOpt "The client certificate's private key (PEM).";
      orderKeys = mkOption {
        type = types.nonEmptyListOf (types.submodule {
          options = {
            keyid = mkOption { type = types.str; description = "The DSSE keyid."; };
            publicKey = mkOption {
              type = types.strMatching "[A-Za-z0-9+/]{43}=";
              description = "The raw Ed25519 public key, standard base64.";
            };
          };
        });
        description = "Keys whose signatures make an order (and the firewall baseline) valid: held by the MSP (direct) or the reseller (reseller).";
      };
      connectTimeout = mkOption { type = types.ints.positive; default = d.mcp.connectTimeout; description = "`mcp.connect_timeout_secs`."; };
      requestTimeout = mkOption { type = types.ints.positive; default = d.mcp.requestTimeout; description = "`mcp.request_timeout_secs`."; };
    };

    maintenanceWindow = {
      days = mkOption {
        type = types.nonEmptyListOf (types.enum [ "mon" "tue" "wed" "thu" "fri" "sat" "sun" ]);
        description = "Days on which the window opens.";
      };
      start = mkOption {
        type = types.strMatching "([01][0-9]|2[0-3]):[0-5][0-9]";
        description = "Local opening time, HH:MM.";
      };
      durationMinutes = mkOption { type = types.ints.between 1 10080; description = "How long it stays open."; };
      timeZone = mkOption {
        type = types.nullOr types.str;
        default = d.maintenanceWindow.timeZone;
        example = "America/Chicago";
        description = "The clinic's IANA time zone (`time_zone`), read from /etc/zoneinfo (TZDIR); null: UTC, or `settings.maintenance_window.utc_offset_minutes`.";
      };
    };

    checks = {
      patching = {
        enable = checkOpt "patching" "is the running system the approved revision? Heals by nixos-rebuild, in the window.";
        flakeRef = mkOption { type = types.str; description = "The approved flake (`flake_ref`)."; };
        allowedFlakePrefixes = mkOption { type = types.nonEmptyListOf types.str; description = "`allowed_flake_prefixes`."; };
        expectedRevision = mkOption { type = types.nullOr types.str; default = null; description = "`expected_revision`."; };
        maxAgeDays = mkOption { type = types.ints.positive; default = d.checks.patching.maxAgeDays; description = "`max_age_days`."; };
        rebuildTimeout = mkOption { type = types.ints.positive; default = d.checks.patching.rebuildTimeout; description = "`rebuild_timeout_secs`; also sizes the units' stop and start timeouts."; };
      };
      services = {
        enable = checkOpt "services" "are the critical units active? Heals by restarting them.";
        units = mkOption { type = types.listOf types.str; default = [ ]; description = "`units`."; };
      };
      backups = {
        enable = checkOpt "backups" "is the newest backup recent and intact? Heals by starting the backup unit.";
        statusFile = mkOption { type = types.str; description = "`status_file`."; };
        maxAgeHours = mkOption { type = types.ints.positive; default = d.checks.backups.maxAgeHours; description = "`max_age_hours`."; };
        unit = mkOption { type = types.str; description = "`unit`: the backup unit."; };
        restic = mkOption {
          default = null;
          description = "A restic repository whose newest snapshot is the backup's time.";
          type = types.nullOr (types.submodule {
            options = {
              repository = mkOption { type = types.str; description = "`restic.repository`."; };
              passwordFile = secretOpt "The repository password (`restic.password_file`).";
              host = mkOption { type = types.nullOr types.str; default = null; description = "`restic.host`."; };
            };
          });
        };
      };
      firewall = {
        enable = checkOpt "firewall" "does the nftables ruleset match the signed baseline? Heals by applying it.";
        baselineFile = pathOpt "`baseline_file`: the approved ruleset (public).";
        baselineSigFile = pathOpt "`baseline_sig_file`: its Ed25519 signature by an order key.";
        ignoreTables = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "`ignore_tables`. The egress filter's own table is added when the filter is on.";
        };
      };
      logging.enable = checkOpt "logging" "is journald active and does a canary arrive? Heals by restarting journald.";
      encryption = {
        enable = checkOpt "encryption" "are the dm-crypt volumes active and LUKS? Never healed: an alert.";
        volumes = mkOption { type = types.listOf types.str; default = [ ]; description = "`volumes`."; };
      };
    };

    logLevel = mkOption {
      type = types.enum [ "error" "warn" "info" "debug" "trace" ];
      default = d.logLevel;
      description = "`log.level` (the log goes to the journal through syslog).";
    };

    metricsTextfile = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = d.metricsTextfile;
      example = "/var/lib/node-exporter-textfiles/compliance-agent.prom";
      description = "Prometheus textfile (`metrics_textfile`); its directory becomes writable for the agent.";
    };

    rebuildCommand = mkOption {
      type = types.strMatching "/.*";
      default = "${config.system.build.nixos-rebuild}/bin/nixos-rebuild";
      defaultText = literalExpression ''"''${config.system.build.nixos-rebuild}/bin/nixos-rebuild"'';
      description = "The nixos-rebuild the rebuild helper unit runs (tools.nixos_rebuild is the wrapper that starts that unit).";
    };

    watchdogSec = mkOption {
      type = types.ints.positive;
      default = d.watchdogSec;
      description = "WatchdogSec= of the daemon. The agent pings at half of it, also while tools run; an MCP request cannot ping, so connect + request timeout must stay below half (asserted).";
    };

    # `tools`: the absolute path of every program the agent runs.
    # systemctl, journalctl and logger are the system's own packages; nft,
    # unshare, cryptsetup, lsblk, restic and nixos_rebuild are generated
    # wrappers that run the real tool in a sandboxed helper unit
    # (docs/deployment.md). Override one only with something equivalent.
    tools = lib.genAttrs toolNames (n: mkOption {
      type = types.strMatching "/.*";
      default = defaultTools.${n};
      defaultText = literalExpression (if units.wrapped ? ${n} then "a wrapper running ${n} in a helper unit" else "the system's ${n}");
      description = "`tools.${n}`.";
    });

    egress = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Drop (and count) every packet the agent's units send anywhere but the MCP, DNS and NTP below.";
      };
      mcpAddresses = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.10" "2001:db8::/64" ];
        description = "The MCP's addresses or networks (the port comes from mcp.url). Names are not resolved: a filter that follows DNS would trust whatever DNS says.";
      };
      dnsServers = mkOption {
        type = types.listOf types.str;
        default = config.networking.nameservers;
        defaultText = literalExpression "config.networking.nameservers";
        description = "DNS servers the agent may query directly (port 53). A resolver on the loopback (systemd-resolved, nscd's socket) needs nothing here.";
      };
      ntpServers = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "NTP server addresses (UDP 123). The agent itself does not speak NTP (timesyncd does, from its own unit): needed only if something in the agent's units must.";
      };
    };

    settings = mkOption {
      type = json.type;
      default = { };
      example = { jitter_percent = 20; evidence.local_retention_days = 90; };
      description = ''
        Any other key of the configuration file (docs/configuration.md), merged
        over what the options above generate. A key set both here and by an option
        must agree, or evaluation fails naming it.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.mcp.connectTimeout + cfg.mcp.requestTimeout < cfg.watchdogSec / 2;
        message = "services.compliance-agent: mcp.connectTimeout + mcp.requestTimeout (${toString (cfg.mcp.connectTimeout + cfg.mcp.requestTimeout)} s) must stay below half of watchdogSec (${toString cfg.watchdogSec} s): a stalled MCP request cannot feed the watchdog. Lower the timeouts or raise watchdogSec.";
      }
      {
        assertion = !(egressOn && cfg.egress.mcpAddresses == [ ]);
        message = "services.compliance-agent: egress.mcpAddresses is empty, so the egress filter would cut the agent off its MCP. List the MCP's addresses (or networks), or set egress.enable = false.";
      }
      {
        assertion = urlParts != null;
        message = "services.compliance-agent: mcp.url ${cfg.mcp.url} is not https://host[:port][/prefix].";
      }
      {
        assertion = !(cfg.maintenanceWindow.timeZone != null && (cfg.settings.maintenance_window.utc_offset_minutes or null) != null);
        message = "services.compliance-agent: maintenanceWindow.timeZone and settings.maintenance_window.utc_offset_minutes exclude each other: a zone already says the offset, daylight saving included.";
      }
      {
        assertion = !(cfg.checks.services.enable && builtins.elem "compliance-agent.service" cfg.checks.services.units);
        message = "services.compliance-agent: checks.services.units lists compliance-agent.service: the agent would restart itself in the middle of its own cycle.";
      }
      {
        assertion = !cfg.checks.services.enable || cfg.checks.services.units != [ ];
        message = "services.compliance-agent: checks.services is enabled with no units.";
      }
      {
        assertion = !cfg.checks.encryption.enable || cfg.checks.encryption.volumes != [ ];
        message = "services.compliance-agent: checks.encryption is enabled with no volumes.";
      }
    ] ++ map (s: {
      assertion = !(inStore s.value);
      message = "services.compliance-agent.${s.opt} = ${toString s.value} is in the Nix store, which every user can read: keep secrets out of it (sops-nix or agenix put them under /run).";
    }) secretPaths;

    environment.etc."compliance-agent/config.json".source = configFile;
    environment.systemPackages = [ cfg.package ];

    systemd.services = lib.mapAttrs (name: u: {
      inherit (u) description serviceConfig;
      unitConfig = u.unitConfig or { };
      environment = u.environment or { };
      wantedBy = u.wantedBy or [ ];
      restartIfChanged = u.restartIfChanged or true;
      reloadIfChanged = u.reloadIfChanged or false;
    }) units.services;

    systemd.slices.compliance-agent-helpers = {
      description = "compliance-agent's helper units (nft, cryptsetup, restic, nixos-rebuild)";
    };

    systemd.tmpfiles.rules = lib.optional (cfg.metricsTextfile != null)
      "d ${dirOf cfg.metricsTextfile} 0755 root root - -";
  };
}
