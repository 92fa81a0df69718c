#!/usr/bin/env bash
# Builds (once, then cached) the Debian guest of the VM tier:
#
#   vm-tests/debian/build-image.sh CACHE_DIR
#
# prints the directory holding rootfs.raw (ext4, no partition table),
# vmlinuz and initrd.img. The cache key is this file's SHA-256 and the
# Debian suite: editing the package list or a hook builds a new guest.
#
# Everything in the guest comes from Debian's packages (the host's apt
# sources): systemd as PID 1, journald, udev, nftables, cryptsetup, the
# distribution kernel with a small initramfs (MODULES=list, only what a
# virtio disk needs). Nothing of compliance-agent is in the image: the test
# hands the agent, its rendered units and the scenario driver in through a
# 9p shared folder at every boot (vm-tests/debian/guest/).
set -euo pipefail

cache=${1:?usage: build-image.sh CACHE_DIR}
suite=${VM_DEBIAN_SUITE:-bookworm}
key=$( { cat "$0"; echo "$suite"; } | sha256sum | cut -c1-16)
out="$cache/debian-$suite-$key"
if [ -s "$out/rootfs.raw" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  echo "$out"
  exit 0
fi

for tool in mmdebstrap mkfs.ext4; do
  command -v "$tool" >/dev/null || { echo "build-image.sh: $tool is missing" >&2; exit 1; }
done
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"

packages=(
  systemd systemd-sysv udev dbus kmod
  nftables cryptsetup-bin
  iproute2 util-linux mount e2fsprogs
  linux-image-amd64 initramfs-tools zstd
)

# The initramfs loads only what finds the root file system on a virtio disk
# (a hook, not /etc/initramfs-tools/modules, so no conffile is touched).
essential_hook='
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"
echo MODULES=list > "$1/etc/initramfs-tools/conf.d/vm.conf"
echo COMPRESS=zstd >> "$1/etc/initramfs-tools/conf.d/vm.conf"
cat > "$1/etc/initramfs-tools/hooks/vm-disk" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in virtio_pci virtio_blk crc32c_generic ext4; do force_load \$m; done
EOF
chmod 0755 "$1/etc/initramfs-tools/hooks/vm-disk"
'

customize_hook='
set -e
r="$1"
echo appliance > "$r/etc/hostname"
printf "127.0.0.1 localhost\n127.0.1.1 appliance\n" > "$r/etc/hosts"
printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\nhost /host 9p trans=virtio,version=9p2000.L,msize=524288,nofail 0 0\n" > "$r/etc/fstab"
mkdir -p "$r/host"
# Root logs in on the serial console without a password (a throwaway guest
# that no network reaches).
sed -i "s/^root:[^:]*:/root::/" "$r/etc/shadow"
# DHCP from QEMU user networking.
mkdir -p "$r/etc/systemd/network"
printf "[Match]\nName=en* eth*\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n" > "$r/etc/systemd/network/10-vm.network"
chroot "$r" systemctl enable systemd-networkd.service
# The guest side of the test: runs /host/guest/driver.sh from the shared
# folder. Type=exec: a oneshot ordered after multi-user.target would hold
# up the boot it waits for.
cat > "$r/etc/systemd/system/vm-driver.service" <<EOF
[Unit]
Description=VM tier: scenario driver from the host
After=multi-user.target host.mount
RequiresMountsFor=/host
[Service]
Type=exec
ExecStart=/bin/bash /host/guest/driver.sh
StandardOutput=journal+console
StandardError=journal+console
[Install]
WantedBy=multi-user.target
EOF
chroot "$r" systemctl enable vm-driver.service
# Nothing else that costs boot time under TCG.
chroot "$r" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  systemd-timesyncd.service 2>/dev/null || true
# A kernel for a virtual machine: drop drivers it never loads.
for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging \
         drivers/bluetooth drivers/usb drivers/hid drivers/input/touchscreen drivers/isdn net/wireless \
         net/bluetooth drivers/scsi/lpfc drivers/scsi/qla2xxx drivers/net/ethernet/mellanox; do
  rm -rf "$r"/lib/modules/*/kernel/$d
done
for k in "$r"/lib/modules/*; do chroot "$r" depmod "$(basename "$k")"; done
chroot "$r" update-initramfs -u -k all
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/locale/*
'

started=$(date +%s)
mmdebstrap --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
  --essential-hook="$essential_hook" --customize-hook="$customize_hook" \
  "$suite" "$root" >"$work/mmdebstrap.log" 2>&1 || { tail -40 "$work/mmdebstrap.log" >&2; exit 1; }
mkdir -p "$work/out"
cp "$(ls "$root"/boot/vmlinuz-* | tail -1)" "$work/out/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | tail -1)" "$work/out/initrd.img"
truncate -s 2G "$work/out/rootfs.raw"
mkfs.ext4 -q -F -L root -d "$root" "$work/out/rootfs.raw"
rm -rf "$out"
mv "$work/out" "$out"
echo "build-image.sh: built $out in $(( $(date +%s) - started )) s" >&2
echo "$out"
