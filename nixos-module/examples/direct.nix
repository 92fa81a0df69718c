# An appliance in `direct` mode: the MSP runs the MCP, its CA, and holds the
# order-signing keys. Import it next to sops-nix (or agenix: then use
# `config.age.secrets.<name>.path`) and the module:
#
#   imports = [ sops-nix.nixosModules.sops compliance-agent.nixosModules.default ./direct.nix ];
#
# Secrets come by path, never through the Nix store: sops-nix decrypts them
# at activation to /run/secrets/<name>, root-owned, mode 0400. The order
# keys are example keys made for this file only: put your MCP's here.
{ config, ... }:
{
  sops.secrets = {
    "compliance-agent/evidence-key" = { };
    "compliance-agent/client-key" = { };
    "restic/password" = { };
  };

  services.compliance-agent = {
    enable = true;
    siteId = "clinic-042";
    applianceId = "appl-01";
    deploymentMode = "direct";

    # The MSP's MCP and CA (the CA certificate is public: a file from the
    # configuration is fine; by default /etc/compliance-agent/msp-mcp-ca.pem).
    mcp.url = "https://mcp.msp.example";
    mcp.caFile = "/etc/compliance-agent/msp-mcp-ca.pem";
    mcp.clientCertFile = "/etc/compliance-agent/client.pem";
    mcp.clientKeyFile = config.sops.secrets."compliance-agent/client-key".path;
    # The MSP's order keys: the current one and the next, so a key can be
    # rotated without touching the appliance twice.
    mcp.orderKeys = [
      { keyid = "msp-2026a"; publicKey = "Ss2LU1wFYeb4P6qW8DkLK3LPnKAdYqCXie6lgbdqbNI="; }
      { keyid = "msp-2026b"; publicKey = "sZWEdnrrD9N56eMOiWnNburmmuubeEwO6SB0ecmWgLY="; }
    ];
    evidenceKeyFile = config.sops.secrets."compliance-agent/evidence-key".path;

    # Sundays 02:00-04:00, clinic time, following daylight saving.
    maintenanceWindow = {
      days = [ "sun" ];
      start = "02:00";
      durationMinutes = 120;
      timeZone = "America/Chicago";
    };

    checks = {
      patching = {
        enable = true;
        flakeRef = "github:example-msp/clinic-fleet#appl-01";
        allowedFlakePrefixes = [ "github:example-msp/clinic-fleet" ];
      };
      services = {
        enable = true;
        units = [ "sshd.service" "nftables.service" "systemd-timesyncd.service" ];
      };
      backups = {
        enable = true;
        statusFile = "/var/lib/clinic-backup/last-success.json";
        maxAgeHours = 26;
        unit = "restic-backups-clinic.service";
        restic = {
          repository = "/mnt/backup/restic";
          passwordFile = config.sops.secrets."restic/password".path;
          host = "appl-01";
        };
      };
      firewall = {
        enable = true;
        baselineFile = "/etc/compliance-agent/firewall.nft";
        baselineSigFile = "/etc/compliance-agent/firewall.nft.sig";
        ignoreTables = [ "inet f2b-table" ];
      };
      logging.enable = true;
      encryption = {
        enable = true;
        volumes = [ "cryptroot" ];
      };
    };

    # The MCP's addresses (the egress filter allows nothing else).
    egress.mcpAddresses = [ "192.0.2.10" "2001:db8::10" ];
    egress.dnsServers = [ "192.0.2.53" ];

    metricsTextfile = "/var/lib/node-exporter-textfiles/compliance-agent.prom";

    # Everything else the agent reads goes through `settings`
    # (docs/configuration.md), e.g. how often a check runs:
    settings.checks.backups.interval_secs = 900;
    settings.checks.encryption.interval_secs = 3600;
  };
}
