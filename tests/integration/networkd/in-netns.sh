#!/bin/sh
# Runs Debian's systemd-networkd on a directory of .netdev/.network files, alone in a network and
# mount namespace of its own (start it as: unshare -n -m --propagation private sh in-netns.sh
# CONF OUT). Nothing of this machine's network or configuration is touched: the namespace has
# only lo and a veth pair (eth0, with its peer up so eth0 has a carrier), /etc/systemd/network is
# CONF (read-only), the vendor directory is emptied, /run is private, and /sys is a read-only
# sysfs of the namespace, which is how networkd knows no udev will announce the links. Writes to
# OUT: networkd.log (its own messages), links.json (ip -d -j link), addresses.json (ip -j addr),
# state/<ifname> (networkd's per-link state file: which .network it applied and how far it got).
set -eu
conf=$1
out=$2
mount -t tmpfs tmpfs /run
mount -t sysfs -o ro sysfs /sys
mount -t tmpfs tmpfs /usr/lib/systemd/network
mount --bind -o ro "$conf" /etc/systemd/network
mkdir -p /run/systemd/netif/links /run/systemd/netif/leases /run/systemd/netif/lldp
chown -R systemd-network:systemd-network /run/systemd/netif
ip link set lo up
ip link add eth0 type veth peer name peer0
ip link set peer0 up
SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 \
  /lib/systemd/systemd-networkd >"$out/networkd.log" 2>&1 &
pid=$!
# Until networkd has taken every link (none pending or initialized) and then finished
# configuring them, or 3 s more: a link can stay "configuring" for as long as it solicits IPv6
# routers or waits for a DHCP server, and neither exists here. 15 s at most in all.
waited=0
taken=
while [ $waited -lt 30 ]; do
  sleep 0.5
  waited=$((waited + 1))
  kill -0 $pid 2>/dev/null || break
  states=$(cat /run/systemd/netif/links/* 2>/dev/null | sed -n 's/^ADMIN_STATE=//p')
  [ "$(echo "$states" | grep -c .)" -ge 4 ] || continue
  echo "$states" | grep -q '^\(pending\|initialized\)$' && continue
  [ -n "$taken" ] || taken=$waited
  echo "$states" | grep -q '^configuring$' || break
  [ $((waited - taken)) -ge 6 ] && break
done
ip -d -j link show >"$out/links.json"
ip -j addr show >"$out/addresses.json"
mkdir -p "$out/state"
for f in /run/systemd/netif/links/*; do
  [ -e "$f" ] || continue
  name=$(ip -o link show | awk -F': ' -v i="$(basename "$f")" '$1 == i { split($2, n, "@"); print n[1] }')
  cp "$f" "$out/state/$name"
done
if kill -0 $pid 2>/dev/null; then
  kill $pid
  wait $pid || true
else
  wait $pid || echo "systemd-networkd exited with status $?" >>"$out/networkd.log"
fi
