#!/usr/bin/env bash
# The decoder against capstone: 10^6 random byte strings per mode (16/32/64).
set -e
"$B/vmlab-decodecheck" -n 1000000 -s 1
