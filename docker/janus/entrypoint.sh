#!/bin/sh
# Fill in the admin secret and the public address, then run Janus in the foreground.
set -eu
: "${JANUS_ADMIN_SECRET:?set JANUS_ADMIN_SECRET (the same value as Convene's)}"
mkdir -p /etc/janus-run
sed -e "s|@ADMIN_SECRET@|${JANUS_ADMIN_SECRET}|" \
    -e "s|@PUBLIC_IP@|${JANUS_PUBLIC_IP:-}|" \
    /etc/janus-convene/janus.jcfg.in > /etc/janus-run/janus.jcfg
cp /etc/janus-convene/janus.transport.http.jcfg /etc/janus-convene/janus.plugin.videoroom.jcfg \
   /etc/janus-run/
exec janus --configs-folder /etc/janus-run --config /etc/janus-run/janus.jcfg --disable-colors
