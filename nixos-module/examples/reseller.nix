# An appliance in `reseller` mode: a reseller runs the MCP and its CA and
# holds the order-signing keys; the MSP's evidence still flows through the
# reseller's MCP. The agent behaves exactly as in `direct` mode; the mode is
# written into every evidence bundle, and the MCP, CA and order keys below
# are the reseller's. Import it as ./direct.nix says; secrets come from
# sops-nix by path.
{ config, ... }:
{
  sops.secrets = {
    "compliance-agent/evidence-key" = { };
    "compliance-agent/client-key" = { };
    "compliance-agent/client-cert" = { };
  };

  services.compliance-agent = {
    enable = true;
    siteId = "dental-practice-17";
    applianceId = "appl-01";
    deploymentMode = "reseller";

    # The reseller's MCP, with a per-MSP path prefix, and the reseller's CA
    # (by default /etc/compliance-agent/reseller-mcp-ca.pem in this mode).
    mcp.url = "https://mcp.reseller.example:8443/msp-acme";
    mcp.clientCertFile = config.sops.secrets."compliance-agent/client-cert".path;
    mcp.clientKeyFile = config.sops.secrets."compliance-agent/client-key".path;
    # The reseller's order key: the firewall baseline must be signed by it.
    mcp.orderKeys = [
      { keyid = "reseller-orders-2026"; publicKey = "TInQY/wfFpyAuXs1ZQZfmiQ1oPY0Sy5g2Qc89Url5SU="; }
    ];
    mcp.connectTimeout = 15;
    mcp.requestTimeout = 40;
    evidenceKeyFile = config.sops.secrets."compliance-agent/evidence-key".path;

    pollInterval = 120;

    # Saturday and Sunday from 23:30 for four hours (past midnight), Berlin.
    maintenanceWindow = {
      days = [ "sat" "sun" ];
      start = "23:30";
      durationMinutes = 240;
      timeZone = "Europe/Berlin";
    };

    checks = {
      patching = {
        enable = true;
        flakeRef = "github:example-reseller/appliances#dental-practice-17";
        allowedFlakePrefixes = [ "github:example-reseller/appliances" ];
        expectedRevision = "3f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39";
        maxAgeDays = 45;
      };
      services = {
        enable = true;
        units = [ "sshd.service" "nftables.service" "postgresql.service" ];
      };
      backups = {
        enable = true;
        statusFile = "/var/lib/clinic-backup/last-success.json";
        unit = "clinic-backup.service";
      };
      firewall = {
        enable = true;
        baselineFile = "/etc/compliance-agent/firewall.nft";
        baselineSigFile = "/etc/compliance-agent/firewall.nft.sig";
      };
      logging.enable = true;
      encryption = {
        enable = true;
        volumes = [ "cryptroot" "cryptdata" ];
      };
    };

    egress.mcpAddresses = [ "198.51.100.20" ];
    egress.dnsServers = [ "198.51.100.53" "198.51.100.54" ];

    logLevel = "info";

    settings = {
      jitter_percent = 20;
      max_order_ttl_secs = 43200;
      checks.logging.interval_secs = 900;
      evidence = {
        local_retention_days = 90;
        backlog_alert_bundles = 50000;
      };
    };
  };
}
