#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (and cache) a small test guest, kernel + initramfs, from Debian packages only.
#
# Usage: contrib/build-guest.sh
#   Last stdout line: the directory holding vmlinuz and initrd.img
#   ($VSWITCH_CACHE_DIR, default ~/.cache/vswitch, /guest-<key>/).
#
# Nothing is installed on the host: the kernel, busybox-static, iperf3 and
# its libraries are fetched with apt-get download and unpacked with
# dpkg-deb -x. The guest's /init is configured on the kernel command line:
#
#   vsw.ip=ADDR/PREFIX | vsw.ip=dhcp   IPv4 on eth0 (default: link up only)
#   vsw.gw=ADDR                        default route (static vsw.ip only)
#   vsw.role=shell                     busybox sh on the console (default)
#   vsw.role=iperf-server              iperf3 -s (port 5201), httpd (port 80,
#                                      /www: index.html, 1M.bin), TCP echo
#                                      (nc, port 7); then waits
#   vsw.role=run vsw.cmd=BASE64        run the decoded sh script, then power
#                                      off; without vsw.cmd the script is
#                                      read from fw_cfg opt/vsw/cmd
#                                      (-fw_cfg name=opt/vsw/cmd,file=F)
#                                      for scripts too long for the
#                                      command line
#
# Console markers (one line each, at the start of the line):
#   VSW-GUEST-READY ip=<addr/prefix|none>   network configured
#   VSW-GUEST-ERROR <reason>                a setup step failed
#   VSW-GUEST-SERVING ...                   iperf-server: servers started
#   VSW-GUEST-EXIT rc=<n>                   the run script ended
#
# Boot (TCG):
#   qemu-system-x86_64 -M q35 -accel tcg -m 256 -nographic -nodefaults \
#     -serial stdio -kernel DIR/vmlinux -initrd DIR/initrd.img \
#     -append 'console=ttyS0 quiet vsw.role=shell' \
#     -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=
# DIR/vmlinux is the uncompressed kernel (PVH boot, ~2.5 s faster under
# TCG than DIR/vmlinuz, the packaged bzImage; both work). A QEMU other than
# contrib/build-qemu.sh's may need -L /usr/share/seabios.
set -eu
set -o pipefail

# Everything but the final result goes to stderr: keep stdout on fd 3.
exec 3>&1 1>&2

CACHE=${VSWITCH_CACHE_DIR:-$HOME/.cache/vswitch}
DEBS=$CACHE/debs
SELF=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
KEEP_GUESTS=2
MULTIARCH=x86_64-linux-gnu

# Kernel modules for the NICs the tests use (dependencies are added from
# modules.dep). Built in, in Debian's config: 8250 console, af_packet, unix.
MODULES="virtio_pci virtio_net e1000 8139cp qemu_fw_cfg"
# Userland packages; libc6 gives ld.so, libc and libm.
USER_PKGS="busybox-static iperf3 libiperf0 libsctp1 libssl3 libc6"

log() { echo "build-guest: $*"; }
die() { echo "build-guest: error: $*"; exit 1; }

# As root, apt would drop to the _apt user, which cannot write the cache.
APT_OPTS=()
[ "$(id -u)" = 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)

# "pkg=version" for the kernel package linux-image-amd64 depends on (e.g.
# linux-image-6.1.0-50-amd64, first line) and the userland packages, from
# apt's candidates.
resolve_versions() {
	local kpkg
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
	# shellcheck disable=SC2086 # word lists
	apt-cache policy $kpkg $USER_PKGS | awk '
		/^[^ ]/ {sub(":$", ""); pkg = $1}
		$1 == "Candidate:" {print pkg "=" $2}'
}
# apt-cache takes ~1.5 s here: remember its answer until apt's lists change.
mkdir -p "$CACHE"
# shellcheck disable=SC2012 # only hashed
APT_STATE=$(ls -l --time-style=+%s /var/lib/apt/lists /etc/apt/preferences.d \
	/etc/apt/sources.list.d 2>/dev/null | sha256sum | cut -c1-12)
MEMO=$CACHE/.guest-apt-$APT_STATE
if [ -s "$MEMO" ]; then
	VERSIONS=$(cat "$MEMO")
else
	VERSIONS=$(resolve_versions)
	# shellcheck disable=SC2086
	[ "$(echo "$VERSIONS" | grep -vc '=(none)')" -eq "$(echo x $USER_PKGS | wc -w)" ] ||
		die "no candidate for some package: $(echo "$VERSIONS" | tr '\n' ' ')"
	rm -f "$CACHE"/.guest-apt-*
	echo "$VERSIONS" >"$MEMO"
fi
KPKG=$(echo "$VERSIONS" | head -n1 | cut -d= -f1)
KVER=${KPKG#linux-image-}

# Cache key: package versions, module list and this script (which holds /init).
KEY=$({ echo "$VERSIONS"; echo "$MODULES"; cat "$SELF"; } | sha256sum | cut -c1-12)
OUT=$CACHE/guest-$KEY

if [ -f "$OUT/stamp" ]; then
	touch "$OUT/stamp"  # most recently used, for the pruning below
	echo "$OUT" >&3
	exit 0
fi

mkdir -p "$CACHE" "$DEBS"
exec 9>"$CACHE/.build-guest.lock"
flock -n 9 || { log "waiting for another build-guest.sh"; flock 9; }
if [ -f "$OUT/stamp" ]; then echo "$OUT" >&3; exit 0; fi
start=$SECONDS

# Download each .deb once into $DEBS (file names per apt: epoch ':' as %3a).
deb_of() { # PKG=VERSION -> path of the cached .deb, downloading it if needed
	local pkg=${1%%=*} ver=${1#*=} f
	# shellcheck disable=SC2012 # apt's file names have no blanks
	f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1) || true
	if [ -z "$f" ]; then
		(cd "$DEBS" && apt-get download -q "${APT_OPTS[@]}" "$pkg=$ver") >&2
		# shellcheck disable=SC2012
		f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
	fi
	echo "$f"
}

WORK=$CACHE/guest-$KEY.work
rm -rf "$WORK" "$OUT.tmp"
trap 'rm -rf "$WORK" "$OUT.tmp"' EXIT
mkdir -p "$WORK/kernel" "$WORK/user" "$WORK/root" "$OUT.tmp"
ROOT=$WORK/root

log "unpacking $(echo "$VERSIONS" | tr '\n' ' ')"
for pv in $VERSIONS; do
	case $pv in
	"$KPKG"=*) dpkg-deb -x "$(deb_of "$pv")" "$WORK/kernel" ;;
	*) dpkg-deb -x "$(deb_of "$pv")" "$WORK/user" ;;
	esac
done
BB=$WORK/user/bin/busybox  # static: also our cpio and depmod on the host
[ -x "$BB" ] || die "busybox-static has no bin/busybox"
KMOD=$WORK/kernel/lib/modules/$KVER
[ -f "$WORK/kernel/boot/vmlinuz-$KVER" ] || die "$KPKG has no boot/vmlinuz-$KVER"

# --- Root file system skeleton and busybox ------------------------------
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/udhcpc,proc,sys,dev,tmp,run,root,www} \
	"$ROOT/lib/$MULTIARCH" "$ROOT/lib64" "$ROOT/lib/modules/$KVER"
cp "$BB" "$ROOT/bin/busybox"
for applet in $("$BB" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"
done

# --- iperf3 and the shared libraries it needs ---------------------------
# Resolve them with the packaged ld.so against the unpacked packages only,
# so the host's libraries never end up in the guest.
LDSO=$WORK/user/lib64/ld-linux-x86-64.so.2
LIBPATH=$WORK/user/lib/$MULTIARCH:$WORK/user/usr/lib/$MULTIARCH
cp "$WORK/user/usr/bin/iperf3" "$ROOT/usr/bin/iperf3"
cp -L "$LDSO" "$ROOT/lib64/ld-linux-x86-64.so.2"
libs=$("$LDSO" --library-path "$LIBPATH" --list "$WORK/user/usr/bin/iperf3")
if echo "$libs" | grep -q 'not found'; then
	die "iperf3 needs a library of no listed package: $libs"
fi
echo "$libs" | awk '$1 !~ /^\// && $2 == "=>" && $3 ~ /^\// {print $1, $3}' |
	while read -r name path; do
		cp -L "$path" "$ROOT/lib/$MULTIARCH/$name"
	done

# --- Kernel modules -----------------------------------------------------
# Debian's package ships no modules.dep (depmod runs at install): make
# one, then copy the wanted modules with all their dependencies.
"$BB" depmod -b "$WORK/kernel" "$KVER"
mods=""
for m in $MODULES; do
	f=$(awk -v m="$m" -F: '{n = $1; sub(".*/", "", n); sub("\\.ko.*", "", n);
		gsub("-", "_", n)} n == m {print $0; exit}' "$KMOD/modules.dep")
	[ -n "$f" ] || die "module $m not in $KPKG (built in?)"
	mods="$mods $(echo "$f" | tr -d :)"
done
for f in $(echo "$mods" | tr ' ' '\n' | sort -u); do
	mkdir -p "$(dirname "$ROOT/lib/modules/$KVER/$f")"
	cp "$KMOD/$f" "$ROOT/lib/modules/$KVER/$f"
done
cp "$KMOD/modules.builtin" "$KMOD/modules.order" "$ROOT/lib/modules/$KVER/"
"$BB" depmod -b "$ROOT" "$KVER"

# --- Configuration files ------------------------------------------------
echo "vsw-guest" >"$ROOT/etc/hostname"
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"
echo "<html><body>vswitch test guest</body></html>" >"$ROOT/www/index.html"
echo "$MODULES" >"$ROOT/etc/vsw-modules"

# udhcpc calls this on lease events: address, default route, resolv.conf.
cat >"$ROOT/etc/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc event script of the vswitch test guest.
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	# busybox passes the prefix length as $mask, the netmask as $subnet.
	prefix=${mask:-$(ipcalc -p "$ip" "$subnet" | cut -d= -f2)}
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$prefix" ${broadcast:+broadcast "$broadcast"} dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	: >/etc/resolv.conf
	[ -n "${domain:-}" ] && echo "search $domain" >>/etc/resolv.conf
	for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	;;
esac
exit 0
EOF

# The guest's PID 1.
cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# /init of the vswitch test guest: mount, load NIC drivers, configure
# eth0 from the kernel command line (vsw.*), then play the role asked for.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1
hostname -F /etc/hostname

# PID 1 must never exit: power off instead (after the console drains).
halt_guest() {
	sync
	sleep 0.2
	poweroff -f
	while :; do sleep 1; done
}

VSW_IP= VSW_GW= VSW_ROLE=shell VSW_CMD=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	vsw.ip=*) VSW_IP=${arg#vsw.ip=} ;;
	vsw.gw=*) VSW_GW=${arg#vsw.gw=} ;;
	vsw.role=*) VSW_ROLE=${arg#vsw.role=} ;;
	vsw.cmd=*) VSW_CMD=${arg#vsw.cmd=} ;;
	esac
done
export VSW_IP VSW_GW VSW_ROLE

for m in $(cat /etc/vsw-modules); do
	modprobe "$m" 2>/dev/null || echo "VSW-GUEST-ERROR modprobe $m"
done

ip link set lo up
# The NIC shows up while its driver probes: wait for it (at most 5 s).
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done

net_ok=1
if [ ! -e /sys/class/net/eth0 ]; then
	echo "VSW-GUEST-ERROR no eth0"
	net_ok=0
else
	ip link set eth0 up
	# Wait (at most 3 s) for the link to be operational, i.e. carrier on
	# and the qdisc attached (before that, sent packets are dropped). A
	# backend may hold the link down.
	n=0
	while [ "$(cat /sys/class/net/eth0/operstate)" != up ] && [ $n -lt 30 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ "$(cat /sys/class/net/eth0/operstate)" = up ] ||
		echo "VSW-GUEST-ERROR eth0 link down"
	case "$VSW_IP" in
	"") ;;
	dhcp)
		udhcpc -i eth0 -q -n -t 5 -T 1 -A 1 >/dev/null 2>&1 ||
			{ echo "VSW-GUEST-ERROR dhcp failed"; net_ok=0; }
		;;
	*)
		ip addr add "$VSW_IP" dev eth0 ||
			{ echo "VSW-GUEST-ERROR bad vsw.ip=$VSW_IP"; net_ok=0; }
		if [ -n "$VSW_GW" ]; then
			ip route add default via "$VSW_GW" ||
				echo "VSW-GUEST-ERROR bad vsw.gw=$VSW_GW"
		fi
		;;
	esac
fi
ip addr
if [ $net_ok = 1 ]; then
	addr=$(ip -4 -o addr show dev eth0 | awk '{print $4; exit}')
	echo "VSW-GUEST-READY ip=${addr:-none}"
fi

case "$VSW_ROLE" in
shell)
	# A shell with job control on the serial console.
	setsid cttyhack sh -l
	halt_guest
	;;
iperf-server)
	iperf3 -s -D >/dev/null 2>&1
	dd if=/dev/zero of=/www/1M.bin bs=1024 count=1024 2>/dev/null
	httpd -p 80 -h /www
	nc -ll -p 7 -e cat >/dev/null 2>&1 &
	echo "VSW-GUEST-SERVING iperf3=5201 http=80 echo=7"
	while :; do sleep 3600; done
	;;
run)
	if [ -n "$VSW_CMD" ]; then
		echo "$VSW_CMD" | base64 -d >/tmp/vsw-cmd.sh
	elif [ -f /sys/firmware/qemu_fw_cfg/by_name/opt/vsw/cmd/raw ]; then
		cat /sys/firmware/qemu_fw_cfg/by_name/opt/vsw/cmd/raw >/tmp/vsw-cmd.sh
	else
		echo "VSW-GUEST-ERROR role run without vsw.cmd or fw_cfg opt/vsw/cmd"
		echo ": no script" >/tmp/vsw-cmd.sh
	fi
	rc=0
	sh /tmp/vsw-cmd.sh || rc=$?
	echo "VSW-GUEST-EXIT rc=$rc"
	halt_guest
	;;
*)
	echo "VSW-GUEST-ERROR unknown vsw.role=$VSW_ROLE"
	halt_guest
	;;
esac
EOF
chmod 755 "$ROOT/init" "$ROOT/etc/udhcpc/default.script"

# --- Uncompressed kernel ---------------------------------------------------
# Debian's bzImage is XZ-compressed; under TCG its decompression takes
# about 2.5 s of every boot. The vmlinux inside is an ELF with a PVH note
# (CONFIG_PVH=y) that QEMU's -kernel boots directly (pvh.bin option ROM).
# The XZ stream is followed by the rest of the bzImage: xz complains about
# that after writing all of vmlinux, so check the ELF magic instead.
extract_vmlinux() { # BZIMAGE OUT
	local off
	command -v xz >/dev/null || return 1
	# shellcheck disable=SC2013 # offsets are numbers
	for off in $(LC_ALL=C grep -obUa $'\xfd7zXZ' "$1" | cut -d: -f1); do
		tail -c +$((off + 1)) "$1" | xz -dc >"$2" 2>/dev/null || true
		if [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			return 0
		fi
	done
	rm -f "$2"
	return 1
}
extract_vmlinux "$WORK/kernel/boot/vmlinuz-$KVER" "$OUT.tmp/vmlinux" ||
	log "warning: could not extract vmlinux (no xz?): boot vmlinuz instead"

# --- Pack ----------------------------------------------------------------
(cd "$ROOT" && find . | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0) 2>/dev/null |
	gzip -9 >"$OUT.tmp/initrd.img"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$OUT.tmp/vmlinuz"
cp "$WORK/kernel/boot/config-$KVER" "$OUT.tmp/config"
{
	echo "$VERSIONS"
	echo "modules:$mods"
	echo "built=$(date -u +%FT%TZ) in $((SECONDS - start))s"
} >"$OUT.tmp/stamp"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
log "built $OUT in $((SECONDS - start))s (initrd $(du -k "$OUT/initrd.img" | cut -f1) KiB)"

# --- Cache housekeeping ----------------------------------------------------
# Keep the $KEEP_GUESTS most recently used guests, and the .debs they use.
# shellcheck disable=SC2012 # names are ours: no blanks
ls -1t "$CACHE"/guest-????????????/stamp 2>/dev/null | tail -n +$((KEEP_GUESTS + 1)) |
	while read -r s; do
		log "removing old guest ${s%/stamp}"
		rm -rf "${s%/stamp}"
	done
# Name prefixes (pkg_version_) of the .debs of the remaining guests.
keep_list=$(cat "$CACHE"/guest-????????????/stamp 2>/dev/null |
	grep -E '^[a-z0-9.+-]+=' | grep -v '^built=' |
	while IFS='=' read -r pkg ver; do echo "${pkg}_${ver//:/%3a}_"; done)
for f in "$DEBS"/*.deb; do
	[ -f "$f" ] || continue
	keep=0
	for k in $keep_list; do
		case "$(basename "$f")" in "$k"*) keep=1 ;; esac
	done
	[ $keep = 1 ] || rm -f "$f"
done

echo "$OUT" >&3
