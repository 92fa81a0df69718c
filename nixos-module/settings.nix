# From the module's first-class options to the agent's configuration file.
#
# Pure Nix (no nixpkgs), so that CI renders the example configurations
# exactly as the module does and checks them with `compliance-agent config
# check`. The module (./default.nix) declares its options with the defaults
# below and calls `render` with its evaluated `cfg`.
let
  inherit (builtins) attrNames concatStringsSep filter isAttrs isPath listToAttrs map removeAttrs;

  # An option value that is a path literal (a public file: the CA, a
  # certificate, the firewall baseline) goes to the store, as toJSON would.
  str = p: if isPath p then "${p}" else p;

  dropNulls = a: listToAttrs (filter (kv: kv.value != null)
    (map (n: { name = n; value = a.${n}; }) (attrNames a)));

  # settings (freeform) over the generated file: a key may come from one
  # side only, unless both give the same value.
  merge = path: generated: user:
    listToAttrs (map (n: {
      name = n;
      value =
        if !(generated ? ${n}) then user.${n}
        else if !(user ? ${n}) then generated.${n}
        else if isAttrs generated.${n} && isAttrs user.${n} then merge "${path}${n}." generated.${n} user.${n}
        else if generated.${n} == user.${n} then user.${n}
        else throw "services.compliance-agent.settings.${path}${n} conflicts with the first-class option that sets it; set one of them";
    }) (attrNames (generated // user)));
in
rec {
  # Defaults of the first-class options that have one (the module uses
  # these; a change here changes both the module and CI's rendering).
  defaults = {
    deploymentMode = "direct";
    stateDir = "/var/lib/compliance-agent";
    pollInterval = 60;
    mcp = { connectTimeout = 10; requestTimeout = 30; };
    maintenanceWindow = { timeZone = null; };
    logLevel = "info";
    metricsTextfile = null;
    watchdogSec = 120;
    checks = {
      patching = { enable = false; expectedRevision = null; maxAgeDays = 30; rebuildTimeout = 3600; };
      services = { enable = false; };
      backups = { enable = false; maxAgeHours = 48; restic = null; };
      firewall = { enable = false; ignoreTables = [ ]; };
      logging = { enable = false; };
      encryption = { enable = false; };
    };
    settings = { };
  };

  # Where each deployment mode expects the MCP's CA by default: the CA of
  # whoever runs the MCP (docs/deployment.md, "Deployment modes").
  defaultCaFile = mode:
    if mode == "reseller" then "/etc/compliance-agent/reseller-mcp-ca.pem"
    else "/etc/compliance-agent/msp-mcp-ca.pem";

  # The generated part of the file, before `settings` is merged in.
  generated = cfg: extraIgnoreTables:
    let
      c = cfg.checks;
      check = name: body: if c.${name}.enable then { ${name} = body; } else { };
    in
    dropNulls {
      site_id = cfg.siteId;
      appliance_id = cfg.applianceId;
      deployment_mode = cfg.deploymentMode;
      state_dir = cfg.stateDir;
      signing_key_file = cfg.evidenceKeyFile;
      poll_interval_secs = cfg.pollInterval;
      mcp = {
        base_url = cfg.mcp.url;
        ca_file = str cfg.mcp.caFile;
        client_cert_file = str cfg.mcp.clientCertFile;
        client_key_file = cfg.mcp.clientKeyFile;
        order_keys = map (k: { keyid = k.keyid; public_key = k.publicKey; }) cfg.mcp.orderKeys;
        connect_timeout_secs = cfg.mcp.connectTimeout;
        request_timeout_secs = cfg.mcp.requestTimeout;
      };
      maintenance_window = dropNulls {
        days = cfg.maintenanceWindow.days;
        start = cfg.maintenanceWindow.start;
        duration_minutes = cfg.maintenanceWindow.durationMinutes;
        time_zone = cfg.maintenanceWindow.timeZone;
      };
      checks =
        check "patching" (dropNulls {
          flake_ref = c.patching.flakeRef;
          allowed_flake_prefixes = c.patching.allowedFlakePrefixes;
          expected_revision = c.patching.expectedRevision;
          max_age_days = c.patching.maxAgeDays;
          rebuild_timeout_secs = c.patching.rebuildTimeout;
        })
        // check "services" { units = c.services.units; }
        // check "backups" (dropNulls {
          status_file = c.backups.statusFile;
          max_age_hours = c.backups.maxAgeHours;
          unit = c.backups.unit;
          restic = if c.backups.restic == null then null else dropNulls {
            inherit (c.backups.restic) repository;
            password_file = c.backups.restic.passwordFile;
            host = c.backups.restic.host or null;
          };
        })
        // check "firewall" {
          baseline_file = str c.firewall.baselineFile;
          baseline_sig_file = str c.firewall.baselineSigFile;
          ignore_tables = c.firewall.ignoreTables ++ extraIgnoreTables;
        }
        // check "logging" { }
        // check "encryption" { volumes = c.encryption.volumes; };
      tools = cfg.tools;
      log = { target = "syslog"; level = cfg.logLevel; };
      metrics_textfile = cfg.metricsTextfile;
    };

  # The whole file: generated keys, then `settings` merged over them (a key
  # set on both sides with different values is an error).
  render = cfg: extraIgnoreTables: merge "" (generated cfg extraIgnoreTables) cfg.settings;

  # Fills in `defaults` under a plain attrset of option values, as the
  # module system does for the options that are not set (CI's rendering).
  withDefaults = opts:
    let
      fill = d: o: d // listToAttrs (map (n: {
        name = n;
        value = if isAttrs (d.${n} or null) && isAttrs o.${n} then fill d.${n} o.${n} else o.${n};
      }) (attrNames o));
      filled = fill defaults opts;
    in
    filled // {
      mcp = { caFile = defaultCaFile filled.deploymentMode; } // filled.mcp;
    };

  inherit merge;
}
