# Shared parts of the NixOS VM tests: a test PKI and order key, an mTLS MCP
# stub (Python; the repository has no stub binary yet), and the appliance
# node with the module configured the way an MSP would, secrets copied to
# /run/secrets at boot as sops-nix would (never through the module's
# options as store paths: the module refuses that).
#
# The Debian VM tier runs the same rendered units (nixos-module/render.nix)
# under Debian's systemd; keep the scenarios of both in step.
{ lib, pkgs, module }:
let
  pki = pkgs.runCommand "compliance-agent-test-pki" { nativeBuildInputs = [ pkgs.openssl pkgs.python3.pkgs.cryptography pkgs.python3 ]; } ''
    mkdir $out && cd $out
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=test MCP CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    leaf() {
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2"
      printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' "$3" "$4" > $1.ext
      openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile $1.ext -out $1.pem
    }
    leaf server mcp.test serverAuth "subjectAltName=DNS:mcp.test,IP:192.168.1.2"
    leaf client "clinic-042 appl-01" clientAuth ""
    # The order key (test only) and a firewall baseline signed by it.
    python3 - <<'PY'
    import base64
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization as s
    k = Ed25519PrivateKey.generate()
    open("order.seed", "wb").write(k.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption()))
    open("order.pub.b64", "w").write(base64.b64encode(k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)).decode())
    base = b"table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"
    open("firewall.nft", "wb").write(base)
    open("firewall.nft.sig", "w").write(base64.b64encode(k.sign(base)).decode())
    PY
    openssl genpkey -algorithm ed25519 -out evidence.key
  '';

  orderKey = lib.removeSuffix "\n" (builtins.readFile "${pki}/order.pub.b64");

  # The MCP stub: GET /api/v1/orders serves the envelopes in
  # /var/lib/mcp/orders.json (written by the test script with sign-order),
  # POST /api/v1/evidence stores bundles and answers receipts.
  python = pkgs.python3.withPackages (ps: [ ps.cryptography ]);
  mcpStub = pkgs.writeScript "mcp-stub" ''
    #!${python}/bin/python3
    import base64, hashlib, json, os, ssl, datetime
    from http.server import HTTPServer, BaseHTTPRequestHandler
    STATE = "/var/lib/mcp"
    class H(BaseHTTPRequestHandler):
        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code); self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)
        def do_GET(self):
            if self.path.startswith("/api/v1/orders"):
                p = os.path.join(STATE, "orders.json")
                orders = json.load(open(p)) if os.path.exists(p) else []
                open(os.path.join(STATE, "polls"), "a").write(self.path + "\n")
                return self.reply(200, orders)
            self.reply(404, {})
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            receipts = []
            for b in body:
                raw = base64.b64decode(b["bundle"])
                open(os.path.join(STATE, "bundles", b["bundle_id"] + ".json"), "wb").write(raw)
                receipts.append({"bundle_id": b["bundle_id"], "sha256": hashlib.sha256(raw).hexdigest(),
                                 "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat()})
            self.reply(200, {"receipts": receipts})
    os.makedirs(os.path.join(STATE, "bundles"), exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("${pki}/server.pem", "${pki}/server.key")
    ctx.load_verify_locations("${pki}/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    s = HTTPServer(("0.0.0.0", 443), H)
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    s.serve_forever()
  '';

  # sign-order ACTION PARAMS_JSON [TTL] [ISSUED_OFFSET] [--bad-signature]
  signOrder = pkgs.writeScriptBin "sign-order" ''
    #!${python}/bin/python3
    import base64, json, sys, time, uuid
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    action, params = sys.argv[1], json.loads(sys.argv[2])
    ttl = int(sys.argv[3]) if len(sys.argv) > 3 else 900
    offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    payload = json.dumps({"order_id": uuid.uuid4().hex, "site_id": "clinic-042", "appliance_id": "appl-01",
                          "issued_at": int(time.time()) + offset, "ttl_secs": ttl, "action": action,
                          "params": params}).encode()
    t = b"application/vnd.compliance-agent.order+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
    k = Ed25519PrivateKey.from_private_bytes(open("${pki}/order.seed", "rb").read())
    sig = k.sign(pae)
    if "--bad-signature" in sys.argv:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    print(json.dumps([{"payloadType": t.decode(), "payload": base64.b64encode(payload).decode(),
                       "signatures": [{"keyid": "test-orders", "sig": base64.b64encode(sig).decode()}]}]))
  '';
in
{
  inherit pki orderKey;

  mcpNode = { ... }: {
    networking.firewall.allowedTCPPorts = [ 443 53 ];
    environment.systemPackages = [ signOrder ];
    systemd.services.mcp-stub = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { ExecStart = mcpStub; StateDirectory = "mcp"; };
    };
    # A DNS server that knows the MCP's name (for the DNS scenarios).
    services.dnsmasq = {
      enable = true;
      settings = { address = [ "/mcp.test/192.168.1.2" ]; no-resolv = true; };
    };
  };

  # The appliance: the module as an MSP deploys it, the window always open.
  applianceNode = extra: { config, pkgs, ... }: {
    imports = [ module extra ];
    networking.nameservers = [ "192.168.1.2" ];
    networking.nftables.enable = true;
    # sops-nix stand-in: secrets copied to /run/secrets, root 0400.
    system.activationScripts.test-secrets = ''
      install -d -m 0755 /run/secrets/compliance-agent /etc/compliance-agent
      install -m 0400 ${pki}/evidence.key /run/secrets/compliance-agent/evidence-key
      install -m 0400 ${pki}/client.key /run/secrets/compliance-agent/client-key
      install -m 0644 ${pki}/client.pem /etc/compliance-agent/client.pem
    '';
    systemd.services.critical-demo = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = { ExecStart = "${pkgs.coreutils}/bin/sleep infinity"; };
    };
    services.compliance-agent = {
      enable = true;
      siteId = "clinic-042";
      applianceId = "appl-01";
      mcp.url = "https://mcp.test";
      mcp.caFile = "${pki}/ca.pem";
      mcp.clientCertFile = "/etc/compliance-agent/client.pem";
      mcp.clientKeyFile = "/run/secrets/compliance-agent/client-key";
      mcp.orderKeys = [ { keyid = "test-orders"; publicKey = orderKey; } ];
      evidenceKeyFile = "/run/secrets/compliance-agent/evidence-key";
      pollInterval = 5;
      maintenanceWindow = { days = [ "mon" "tue" "wed" "thu" "fri" "sat" "sun" ]; start = "00:00"; durationMinutes = 10080; };
      checks = {
        services = { enable = true; units = [ "critical-demo.service" ]; };
        firewall = { enable = true; baselineFile = "${pki}/firewall.nft"; baselineSigFile = "${pki}/firewall.nft.sig"; };
        logging.enable = true;
      };
      egress.mcpAddresses = [ "192.168.1.2" ];
    };
  };
}
