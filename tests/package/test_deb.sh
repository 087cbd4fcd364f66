#!/usr/bin/env bash
# The .deb (cpack -G DEB in the build folder) in a fresh Debian root, as a machine of a fleet would
# install it: `apt install ./tcpstate_*.deb`, then, as a normal user, `tshark -G plugins` lists
# tcpstate.so from the global plugin folder, its fields are registered, the profile is in Wireshark's
# global profiles folder, and the command tcpstate-annotate annotates a capture.
#
# The fresh root is an overlay over a cached minimal root of this machine's Debian release (so the
# Wireshark the plugin was built for), with tshark and python3 preinstalled (the package's
# dependencies: apt resolves them offline), under $TCPSTATE_DEB_CACHE (default
# /var/cache/tcpstate-deb, about 600 MB), made once with debootstrap and refreshed with apt-get
# upgrade when older than a day, as scripts/test-matrix does with its roots. One run at a time (a lock
# in the cache). Needs root (debootstrap, chroot, mount); exits 77 (skipped) otherwise.
#
#   test_deb.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: test_deb.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
me=tests/package/test_deb.sh
[ "$(id -u)" = 0 ] || { echo "SKIP: $me needs root (debootstrap, chroot, mount)"; exit 77; }
for t in cpack debootstrap; do
  command -v "$t" >/dev/null || { echo "FAIL: no $t (scripts/setup --fleet installs debootstrap)"; exit 1; }
done

cache=${TCPSTATE_DEB_CACHE:-/var/cache/tcpstate-deb}
. /etc/os-release
dist=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
base=$cache/$dist
refresh_minutes=${TCPSTATE_DEB_REFRESH:-1440}
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
stamp() { printf '[%3ds] %s\n' $(($(date +%s) - start)) "$*"; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -n 9 || { echo "$me: another run holds $cache/.lock; waiting"; flock 9; }

work=$(mktemp -d /tmp/tcpstate-deb.XXXXXX)
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
in_root() {  # ROOT COMMAND...: a clean environment inside ROOT
  local root=$1; shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# ---- The cached base root -----------------------------------------------------------------------------
# The mirror this machine's apt uses for its own release.
mirror=${TCPSTATE_DEB_MIRROR:-$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
                                awk -v d="$dist" '$2 == d { print $1; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}
prepare_base() {
  if [ -f "$base/.tcpstate-deb-ok" ]; then
    if [ -n "$(find "$base/.tcpstate-deb-ok" -mmin +"$refresh_minutes")" ]; then
      stamp "refreshing $base (older than $refresh_minutes minutes)"
      mount -t proc proc "$base/proc" && mounts+=("$base/proc")
      in_root "$base" apt-get update -q >"$work/prepare.log" 2>&1 &&
        in_root "$base" apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade >>"$work/prepare.log" 2>&1 ||
        { tail -n 20 "$work/prepare.log"; return 1; }
      in_root "$base" apt-get -q clean
      umount "$base/proc" && unset 'mounts[-1]'
      touch "$base/.tcpstate-deb-ok"
    fi
    return 0
  fi
  stamp "creating $base from $mirror (once; about 2 minutes)"
  rm -rf --one-file-system "$base.new"
  debootstrap --variant=minbase --include=ca-certificates "$dist" "$base.new" "$mirror" >"$work/prepare.log" 2>&1 ||
    { tail -n 20 "$work/prepare.log"; return 1; }
  # wireshark-common asks whether non-root users may capture; the mirror may be a frozen snapshot.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | chroot "$base.new" debconf-set-selections
  echo 'Acquire::Check-Valid-Until "false";' >"$base.new/etc/apt/apt.conf.d/99tcpstate-deb"
  mount -t proc proc "$base.new/proc" && mounts+=("$base.new/proc")
  in_root "$base.new" apt-get update -q >>"$work/prepare.log" 2>&1 &&
    in_root "$base.new" apt-get install -y -q --no-install-recommends tshark python3 >>"$work/prepare.log" 2>&1 ||
    { tail -n 20 "$work/prepare.log"; return 1; }
  in_root "$base.new" apt-get -q clean
  umount "$base.new/proc" && unset 'mounts[-1]'
  rm -rf --one-file-system "$base"
  mv "$base.new" "$base"
  touch "$base/.tcpstate-deb-ok"
}
prepare_base || fail "could not prepare the $dist root ($base)"
stamp "base root $base ready: $(in_root "$base" tshark -v 2>/dev/null | head -n 1)"

# ---- The package --------------------------------------------------------------------------------------
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$work/pkg" -maxdepth 1 -name 'tcpstate_*.deb' | head -n 1)
[ -n "$deb" ] || fail "cpack wrote no tcpstate_*.deb ($(ls "$work/pkg"))"
stamp "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# ---- A fresh root: the cached one under an overlay, thrown away afterwards ---------------------------------
root=$work/root
mkdir -p "$work/upper" "$work/overlay-work" "$root"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$root" ||
  fail "cannot mount an overlay over $base"
mounts+=("$root")
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
in_root "$root" dpkg-query -W tcpstate >/dev/null 2>&1 && fail "the fresh root already has tcpstate installed"
cp "$deb" "$root/tmp/"
in_root "$root" apt-get install -y -q "/tmp/$(basename "$deb")" >"$work/apt.log" 2>&1 ||
  { tail -n 30 "$work/apt.log"; fail "apt install ./$(basename "$deb")"; }
stamp "apt install ./$(basename "$deb"): ok"

status=0
check() {  # NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then echo "ok: $name"; else echo "FAIL: $name"; sed 's/^/    /' "$work/out" | head -n 20; status=1; fi
}
as_user() {  # a normal user (nobody), with its own HOME: personal folders hold nothing of ours
  mkdir -p "$root/tmp/home" && chown 65534:65534 "$root/tmp/home"
  chroot --userspec=65534:65534 "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp/home LC_ALL=C.UTF-8 "$@"
}
plugdir=$(in_root "$root" sh -c 'ls -d /usr/lib/*/wireshark/plugins/*/epan' | head -n 1)
cp "$here/test-captures/lifecycle/real-close-wait-open.pcap" "$root/tmp/cap.pcap" && chmod 644 "$root/tmp/cap.pcap"
t_installed() { test -f "$root$plugdir/tcpstate.so" && test -f "$root/usr/share/wireshark/profiles/tcpstate/preferences"; }
t_plugins() { as_user tshark -G plugins | grep -E "^tcpstate\.so[[:space:]].*$plugdir"; }
t_fields() { as_user tshark -G fields | grep -P '\ttcpstate\.conn\.stuck\t'; }
t_annotate() { as_user tcpstate-annotate -q --summary /tmp/cap.pcap | grep 'close_wait_open,fin_wait_2_open'; }
t_annotate_root() { [ "$(in_root "$root" tcpstate-annotate -q /tmp/cap.pcap | grep -c 'ACK (handshake 3/3)')" = 2 ]; }
t_depends() { in_root "$root" dpkg-query -W -f '${Depends}\n' tcpstate | tee /dev/stderr | grep 'libwireshark[0-9]'; }
check "the plugin in the global plugin folder ($plugdir), the profile in /usr/share/wireshark/profiles" t_installed
check "tshark -G plugins, as a normal user, lists tcpstate.so from the global folder" t_plugins
check "its fields are registered (tcpstate.conn.stuck)" t_fields
check "tcpstate-annotate --summary, as a normal user: the stuck connection" t_annotate
check "tcpstate-annotate as root (Wireshark loads the global plugin folder for root too)" t_annotate_root
check "the package depends on the libwireshark it was linked with" t_depends
stamp "done"
exit $status
