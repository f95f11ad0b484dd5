#!/bin/bash
# Must PASS: stock IPVS loads with modprobe and ipvsadm drives it.
set -eu
modprobe ip_vs
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m
ipvsadm -Ln
ipvsadm -Ln | grep -q '198.51.100.2:80'
