# The systemd units of compliance-agent: the ONE source of their directives.
#
# Pure Nix: no nixpkgs, no store paths of its own. The NixOS module
# (./default.nix) imports it with real store paths; ./render.nix imports it
# with placeholder paths and turns the result into plain .service files
# (`nix-instantiate --eval --strict --json`), which CI scores with
# `systemd-analyze security --offline=true` and the Debian VM tier installs.
# So the unit that is scored and tested is the unit that ships.
#
# Every exception to the sandbox is explained next to it; docs/deployment.md
# has the scores and the reasoning in prose.
{
  # Absolute path of the compliance-agent binary.
  agent,
  # Where the module writes the configuration (settings rendered to JSON).
  configFile ? "/etc/compliance-agent/config.json",
  # settings.state_dir; must be under /var/lib (StateDirectory=).
  stateDir ? "/var/lib/compliance-agent",
  # WatchdogSec= of the daemon, in seconds. The agent pings at half of it,
  # also while tools run; the one step that cannot ping is an MCP request
  # (connect + request timeout), which the module asserts stays below half.
  watchdogSec ? 120,
  # Longest nixos-rebuild (checks.patching.rebuild_timeout_secs; the
  # agent's rollback uses 3600 s whatever it is).
  rebuildTimeoutSecs ? 3600,
  # Extra writable paths of the daemon (the metrics textfile's directory).
  readWritePaths ? [ ],
  # null, or the egress filter: { load = script that (re)loads the nft
  # table and adds the cgroups of running agent units; add = script that
  # adds the cgroup it runs in; allow = [ addresses ] or null when not
  # every allowed destination is known by address }.
  egress ? null,
  # Real tools that the helper units run, and what a helper needs:
  #   systemdRun, nft, cryptsetup, lsblk, restic, nixosRebuild: absolute paths
  #   rebuildPath: PATH for nixos-rebuild (nix, git, coreutils, ...)
  #   bash: a shell for the generated wrappers
  tools,
}:
let
  inherit (builtins) concatStringsSep attrNames filter map isAttrs isBool isInt isList isString toString substring stringLength replaceStrings listToAttrs;

  hasPrefix = p: s: substring 0 (stringLength p) s == p;
  removePrefix = p: s: if hasPrefix p s then substring (stringLength p) (stringLength s) s else s;
  optionalAttrs = c: a: if c then a else { };
  optional = c: x: if c then [ x ] else [ ];

  stateDirectory =
    if hasPrefix "/var/lib/" stateDir then removePrefix "/var/lib/" stateDir
    else throw "compliance-agent: state_dir ${stateDir} must be under /var/lib (StateDirectory=)";

  # ---------------------------------------------------------------------
  # The sandbox every unit starts from. A helper or the daemon lists only
  # what it changes, with the reason.
  # ---------------------------------------------------------------------
  sandbox = {
    # No capability at all: root's uid still owns the state directory, the
    # secrets (root, 0400) and the systemd sockets, which is all the daemon
    # touches itself. Everything that needs a capability is in a helper.
    CapabilityBoundingSet = "";
    AmbientCapabilities = "";
    NoNewPrivileges = true;
    ProtectSystem = "strict";
    ProtectHome = true;
    PrivateTmp = true;
    PrivateDevices = true;
    DevicePolicy = "closed";
    PrivateIPC = true;
    PrivateMounts = true;
    ProtectHostname = true;
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectProc = "invisible";
    ProcSubset = "pid";
    RestrictAddressFamilies = "AF_UNIX";
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    MemoryDenyWriteExecute = true;
    RemoveIPC = true;
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" "~@privileged @resources" ];
    SystemCallErrorNumber = "EPERM";
    UMask = "0077";
    KeyringMode = "private";
    # Nothing here listens: bind(2) on AF_INET/AF_INET6 fails (cgroup BPF).
    SocketBindDeny = "any";
    # Nothing here talks IP unless a unit says so below.
    IPAddressDeny = "any";
  };

  # ---------------------------------------------------------------------
  # The daemon and the maintenance run.
  # ---------------------------------------------------------------------
  agentSandbox = sandbox // {
    # Exceptions of the daemon:
    # - AF_INET/AF_INET6: the MCP (mTLS) and DNS. AF_UNIX: sd_notify, the
    #   system log, D-Bus and systemd's private socket (systemctl,
    #   systemd-run), nscd. No AF_NETLINK: nft runs in a helper.
    RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6";
    # - ProtectClock=no: the agent reads the clock's synchronisation state
    #   with a read-only adjtimex(2) for every evidence bundle (AU-8);
    #   ProtectClock= forbids that call outright. Without CAP_SYS_TIME (the
    #   bounding set is empty) it still cannot set the clock.
    ProtectClock = false;
    SystemCallFilter = [
      "@system-service"
      # No listening socket, whatever the family (SocketBindDeny= covers
      # only bind(2) on IP sockets; listen(2) autobinds without bind).
      "~@privileged @resources listen accept accept4"
      # Back after the line above (@clock is part of @privileged): the
      # read-only adjtimex(2) of every evidence bundle. Costs 0.4 of the
      # exposure score; without it the evidence loses the clock's state.
      "adjtimex"
    ];
    # - IP: the MCP, DNS and NTP as configured (egress filter), else any.
    IPAddressDeny = if egress != null && egress.allow != null then "any" else null;
    # - ProcSubset=all: every evidence bundle names the kernel's boot id
    #   (/proc/sys/kernel/random/boot_id); with ProcSubset=pid /proc/sys is
    #   hidden and every bundle said `null` (found by the Debian VM tier).
    #   ProtectKernelTunables= keeps /proc/sys read-only.
    ProcSubset = "all";
    # A core dump would hold the evidence key and the mTLS key.
    LimitCORE = 0;
    StateDirectory = stateDirectory;
    StateDirectoryMode = "0700";
    ReadWritePaths = readWritePaths;
  } // optionalAttrs (egress != null && egress.allow != null) {
    IPAddressAllow = egress.allow;
  };

  agentCommon = {
    unitConfig = {
      After = [ "network-online.target" "nss-lookup.target" "time-sync.target" ]
        ++ optional (egress != null) "compliance-agent-egress.service";
      Wants = [ "network-online.target" ];
    } // optionalAttrs (egress != null) {
      Requires = [ "compliance-agent-egress.service" ];
    };
    environment = {
      # NixOS keeps the tz database in /etc/zoneinfo
      # (maintenance_window.time_zone is read from it at start).
      TZDIR = "/etc/zoneinfo";
    };
  };

  # The egress filter matches the unit's cgroup; its id changes at every
  # start, so the cgroup is added to the filter's set right before the
  # agent runs. `+`: this one line runs without the sandbox (it needs
  # CAP_NET_ADMIN and netlink); it is a fixed script from the store.
  egressPre = optional (egress != null) "+${egress.add}";

  daemon = agentCommon // {
    description = "compliance-agent: HIPAA drift checks, self-healing and signed evidence";
    wantedBy = [ "multi-user.target" ];
    # A rebuild must not restart the agent in the middle of its own
    # remediation: the remediation journal covers a crash, not a planned
    # stop. The new binary takes over at the next start.
    restartIfChanged = false;
    serviceConfig = agentSandbox // {
      Type = "notify";
      NotifyAccess = "main";
      ExecStartPre = egressPre;
      ExecStart = "${agent} --config ${configFile} run";
      WatchdogSec = watchdogSec;
      Restart = "on-failure";
      RestartSec = 30;
      # A stop waits for the state in progress (docs/healing.md): at most a
      # rebuild, then one short flush. SIGTERM goes to the agent only, so a
      # tool it runs is not killed under it (KillMode=mixed).
      KillMode = "mixed";
      TimeoutStopSec = rebuildTimeoutSecs + 120;
    };
  };

  once = agentCommon // {
    description = "compliance-agent: one full cycle (maintenance run)";
    restartIfChanged = false;
    unitConfig = agentCommon.unitConfig // {
      # One agent at a time holds the state directory: the daemon stops
      # for the maintenance run and starts again after it, whatever it did.
      Conflicts = [ "compliance-agent.service" ];
      After = agentCommon.unitConfig.After ++ [ "compliance-agent.service" ];
      OnSuccess = [ "compliance-agent.service" ];
      OnFailure = [ "compliance-agent.service" ];
    };
    serviceConfig = agentSandbox // {
      Type = "oneshot";
      ExecStartPre = egressPre;
      ExecStart = "${agent} --config ${configFile} --once";
      KillMode = "mixed";
      TimeoutStartSec = rebuildTimeoutSecs + 600;
    };
  };

  # ---------------------------------------------------------------------
  # The egress filter's loader: the one unit that touches nftables for it.
  # ---------------------------------------------------------------------
  egressUnit = {
    description = "compliance-agent: egress filter (nftables table for the agent's cgroup)";
    wantedBy = [ "multi-user.target" ];
    # networking.nftables flushes the whole ruleset on restart/reload:
    # load the table again after it.
    unitConfig = {
      After = [ "nftables.service" ];
      Before = [ "compliance-agent.service" "compliance-agent-once.service" ];
      PartOf = [ "nftables.service" ];
      ReloadPropagatedFrom = [ "nftables.service" ];
    };
    reloadIfChanged = true;
    serviceConfig = sandbox // {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStart = "${if egress != null then egress.load else "/bin/false"}";
      ExecReload = "${if egress != null then egress.load else "/bin/false"}";
      # Exceptions: nftables needs CAP_NET_ADMIN and netlink, in the host's
      # network namespace.
      CapabilityBoundingSet = "CAP_NET_ADMIN";
      AmbientCapabilities = "CAP_NET_ADMIN";
      RestrictAddressFamilies = "AF_UNIX AF_NETLINK";
    };
  };

  # ---------------------------------------------------------------------
  # Helpers: transient units the daemon starts through generated wrappers
  # (tools.nft, tools.unshare, ...) and waits for, like NixOS runs
  # nixos-upgrade.service. Each is rendered twice from the same attrset:
  # as `systemd-run -p` arguments in the wrapper, and as a .service file
  # for scoring.
  # ---------------------------------------------------------------------
  # `unit`: a fixed unit name, for a helper that must never run twice at
  # once and whose end the agent's crash recovery waits for.
  helper = { description, runtimeMaxSec, properties, environment ? { }, unit ? null }: {
    inherit description runtimeMaxSec environment unit;
    properties = properties // { RuntimeMaxSec = runtimeMaxSec; };
  };

  helpers = {
    # nft in the host's namespace: the firewall check's `nft -s list
    # ruleset` and the remediation's atomic `nft -f` (reads its script
    # from the state directory, read-only here).
    nft = helper {
      description = "compliance-agent helper: nft";
      runtimeMaxSec = 30;
      properties = sandbox // {
        CapabilityBoundingSet = "CAP_NET_ADMIN";
        AmbientCapabilities = "CAP_NET_ADMIN";
        RestrictAddressFamilies = "AF_UNIX AF_NETLINK";
      };
    };
    # The firewall check's scratch namespace: the baseline is loaded and
    # listed in a fresh network namespace (PrivateNetwork=yes) instead of
    # `unshare --net`, so the daemon needs neither CAP_SYS_ADMIN nor
    # namespaces. Runs the agent's own `__nft-canonical`, which refuses to
    # run in the daemon's namespace.
    netns = helper {
      description = "compliance-agent helper: baseline in a scratch network namespace";
      runtimeMaxSec = 20;
      properties = sandbox // {
        PrivateNetwork = true;
        CapabilityBoundingSet = "CAP_NET_ADMIN";
        AmbientCapabilities = "CAP_NET_ADMIN";
        RestrictAddressFamilies = "AF_UNIX AF_NETLINK";
      };
    };
    # The encryption check: `cryptsetup status` asks device-mapper
    # (CAP_SYS_ADMIN, /dev/mapper/control); isLuks/luksDump and lsblk's
    # FSTYPE read block devices. No network at all.
    storage = helper {
      description = "compliance-agent helper: cryptsetup and lsblk (read-only)";
      runtimeMaxSec = 10;
      properties = sandbox // {
        PrivateNetwork = true;
        PrivateDevices = false;
        DeviceAllow = [ "/dev/mapper/control rw" "block-* r" ];
        CapabilityBoundingSet = "CAP_SYS_ADMIN";
        AmbientCapabilities = "CAP_SYS_ADMIN";
        # cryptsetup's lock directory, when the system has one.
        ReadWritePaths = [ "-/run/cryptsetup" ];
        # libdevmapper reads /proc/devices to find device-mapper's major
        # number: with ProcSubset=pid every `cryptsetup status` fails with
        # "Cannot initialize device-mapper" (found by the Debian VM tier).
        ProcSubset = "all";
      };
    };
    # The backups check with a restic repository: outside the daemon's
    # egress filter (a repository may be remote), no capability.
    restic = helper {
      description = "compliance-agent helper: restic snapshots (read-only)";
      runtimeMaxSec = 10;
      properties = sandbox // {
        RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6";
        IPAddressDeny = null;
      };
    };
    # The patching remediation: `nixos-rebuild switch` replaces the whole
    # system, as nixos-upgrade.service does. It cannot be sandboxed in any
    # meaningful way (activation touches everything), so it is not: this
    # unit exists so that the daemon does not need those privileges.
    # A fixed name: systemd refuses a second rebuild while one runs, and an
    # agent restarted after a crash mid-rebuild waits for this unit (it
    # keeps running when the wrapper is killed) before judging the system.
    rebuild = helper {
      unit = "compliance-agent-helper-rebuild.service";
      description = "compliance-agent helper: nixos-rebuild";
      runtimeMaxSec = if rebuildTimeoutSecs > 3600 then rebuildTimeoutSecs else 3600;
      environment = { PATH = tools.rebuildPath; HOME = "/root"; };
      properties = {
        KeyringMode = "private";
        UMask = "0022";
      };
    };
  };

  # null means "not set": drop it (and empty lists) everywhere.
  clean = a: listToAttrs (filter (kv: kv.value != null && kv.value != [ ])
    (map (n: { name = n; value = let v = a.${n}; in if isAttrs v then clean v else v; }) (attrNames a)));

  # One directive value as systemd reads it.
  value = v:
    if isBool v then (if v then "yes" else "no")
    else if isInt v then toString v
    else v;

  # `systemd-run -p` arguments for a helper's properties, in a stable order;
  # a list becomes one assignment per element, as in a unit file.
  propertyArgs = props: builtins.concatLists (map (k:
    let v = props.${k}; in map (x: "${k}=${value x}") (if isList v then v else [ v ]))
    (attrNames props));

  shellQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # The wrapper the daemon runs as `tools.<name>`: the real tool in a
  # transient unit with the helper's sandbox, waited for. systemd-run
  # --wait --pipe hands the daemon's stdin/stdout/stderr to the tool and
  # exits with the tool's exit status (255 if it died of a signal, 1 if the
  # unit could not be started); RuntimeMaxSec= bounds the helper even when
  # the daemon's own deadline killed this wrapper first.
  systemdRunArgs = name: h: [
    tools.systemdRun "--wait" "--pipe" "--collect" "--quiet" "--service-type=exec"
    "--slice=compliance-agent-helpers.slice"
    "--description=${h.description}"
  ] ++ (if h.unit == null then [ ] else [ "--unit=${h.unit}" ]) ++ map (k: "--setenv=${k}=${h.environment.${k}}") (attrNames h.environment) ++ builtins.concatLists (map (a: [ "-p" a ]) (propertyArgs (clean h.properties)));

  wrapper = name: h: ''
    #!${tools.bash}
    # compliance-agent: tools.${name} -- generated by nixos-module/units.nix.
    # Runs the real tool in a transient unit sandboxed for it (see
    # docs/deployment.md) and waits for it.
    exec ${concatStringsSep " \\\n  " (map shellQuote (systemdRunArgs name h))} \
      -- ${shellQuote h.tool} "$@"
  '';

  # tools.unshare: the firewall check runs `unshare --net -- <agent>
  # __nft-canonical --not-netns <ns> <nft> <baseline>`. The wrapper accepts
  # exactly that shape with this agent binary, and runs it in the netns
  # helper (PrivateNetwork=yes) with the real nft: never the nft wrapper,
  # which would load the baseline into the host's ruleset.
  netnsWrapper = h: ''
    #!${tools.bash}
    # compliance-agent: tools.unshare -- generated by nixos-module/units.nix.
    if [ "$#" -ne 8 ] || [ "$1" != --net ] || [ "$2" != -- ] || [ "$3" != ${shellQuote agent} ] \
       || [ "$4" != __nft-canonical ] || [ "$5" != --not-netns ] \
       || { [ "$7" != ${shellQuote tools.nftWrapper} ] && [ "$7" != ${shellQuote tools.nft} ]; }; then
      echo "Error: compliance-agent netns helper: refusing an unexpected command line" >&2
      exit 2
    fi
    exec ${concatStringsSep " \\\n  " (map shellQuote (systemdRunArgs "unshare" h))} \
      -- ${shellQuote agent} __nft-canonical --not-netns "$6" ${shellQuote tools.nft} "$8"
  '';

  helperTools = {
    nft = { helper = "nft"; tool = tools.nft; };
    cryptsetup = { helper = "storage"; tool = tools.cryptsetup; };
    lsblk = { helper = "storage"; tool = tools.lsblk; };
    restic = { helper = "restic"; tool = tools.restic; };
    nixos_rebuild = { helper = "rebuild"; tool = tools.nixosRebuild; };
  };
in
{
  inherit sandbox;

  # NixOS-shaped service definitions (systemd.services.<name>), nulls
  # dropped.
  services = clean ({
    compliance-agent = daemon;
    compliance-agent-once = once;
  } // optionalAttrs (egress != null) {
    compliance-agent-egress = egressUnit;
  });

  # Helper sandboxes, by helper name.
  helpers = builtins.mapAttrs (n: h: h // { properties = clean h.properties; }) helpers;

  # Wrapper scripts (text), by agent tool name (`tools.<name>`).
  wrappers = builtins.mapAttrs (n: t: wrapper n (helpers.${t.helper} // { inherit (t) tool; })) helperTools
    // { unshare = netnsWrapper helpers.netns; };

  # Which helper each wrapped tool runs in.
  wrapped = builtins.mapAttrs (n: t: t.helper) helperTools // { unshare = "netns"; };

  inherit value;
}
