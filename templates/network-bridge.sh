#!/bin/sh
# xend calls this script to set up the host's network. Gentoo's own network scripts do it
# instead: each /etc/init.d/net.xenbrN bridge configured in /etc/conf.d/net is started (or
# stopped) here. xen-tools' original script is kept as network-bridge.orig.
# (the Gentoo wiki "HOWTO Xen and Gentoo", "Dom0 network configuration (alternative solution)")
rc_expr='/etc/init.d/net.xenbr[0-9]'
for xenbr in $( echo ${rc_expr} )
do
	if [ "${xenbr}" = "${rc_expr}" ]
	then
		echo "xen bridge: no bridge configuration found"
		exit 0
	else
		${xenbr} "$@"
	fi
done
