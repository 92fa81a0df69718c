{
  description = "compliance-agent: a hardened agent for HIPAA compliance appliances (NixOS)";

  # No flake.lock is committed yet: it can only be written where GitHub is
  # reachable (`nix flake lock`), which the machines this repository is
  # built on are not. Pin the NixOS release the appliances run.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      rev = self.shortRev or self.dirtyShortRev or "unknown";
    in
    {
      packages = forAllSystems (pkgs: {
        # Built from vendor/ (cargo vendor format, .cargo/config.toml points
        # at it): nothing is downloaded, the same sources as `cargo build
        # --locked --offline`.
        default = pkgs.rustPlatform.buildRustPackage {
          pname = "compliance-agent";
          version = (lib.importTOML ./Cargo.toml).package.version;
          src = lib.fileset.toSource {
            root = ./.;
            fileset = lib.fileset.unions [
              ./Cargo.toml
              ./Cargo.lock
              ./build.rs
              ./clippy.toml
              ./rustfmt.toml
              ./.cargo
              ./src
              ./benches
              ./tests
              ./examples
              ./docs
              ./vendor
            ];
          };
          cargoVendorDir = "vendor";
          # The git revision --version prints (build.rs).
          COMPLIANCE_AGENT_BUILD_REV = rev;
          # The integration tests need root, network namespaces, nft,
          # cryptsetup, restic and openssl (.ci/run runs them); the Nix
          # sandbox has none of that.
          doCheck = false;
          meta = {
            description = "Hardened compliance agent for HIPAA NixOS appliances";
            license = lib.licenses.asl20;
            mainProgram = "compliance-agent";
            platforms = lib.platforms.linux;
          };
        };
      });

      # The module, with `package` defaulting to this flake's build.
      nixosModules.default = { pkgs, lib, ... }: {
        imports = [ ./nixos-module ];
        services.compliance-agent.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };

      # Example appliance configurations (import next to sops-nix; see
      # nixos-module/examples/).
      nixosModules.example-direct = ./nixos-module/examples/direct.nix;
      nixosModules.example-reseller = ./nixos-module/examples/reseller.nix;

      checks = lib.genAttrs [ "x86_64-linux" ] (system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
          vmTest = file: pkgs.testers.runNixOSTest (import file { module = self.nixosModules.default; });
        in
        {
          package = self.packages.${system}.default;
          # The module on both examples, with a stand-in for sops-nix's
          # options: evaluation, assertions and the generated files.
          examples = (nixpkgs.lib.nixosSystem {
            inherit system;
            modules = [
              self.nixosModules.default
              self.nixosModules.example-direct
              ({ lib, ... }: {
                options.sops.secrets = lib.mkOption {
                  type = lib.types.attrsOf (lib.types.submodule ({ name, ... }: {
                    options.path = lib.mkOption { type = lib.types.str; default = "/run/secrets/${name}"; };
                  }));
                  default = { };
                };
                config = {
                  boot.loader.grub.enable = false;
                  fileSystems."/".device = "/dev/vda";
                  system.stateVersion = "25.11";
                };
              })
            ];
          }).config.system.build.toplevel;
          vm-basic = vmTest ./vm-tests/basic.nix;
          vm-egress = vmTest ./vm-tests/egress.nix;
          vm-scenarios = vmTest ./vm-tests/scenarios.nix;
        });
    };
}
