# SPDX-License-Identifier: GPL-2.0
#
# ipvs-ext: out-of-tree IPVS extension modules, their patched ipvsadm, tests.
#   make                 build the three modules against KDIR
#   make W=1 / C=1       extra warnings / sparse (kbuild variables)
#   make style           checkpatch.pl --strict on our kernel sources
#   make ipvsadm         patched ipvsadm from the pristine upstream tarball
#   make unit            user-space unit tests of the pure logic
#   make check           everything: unit, build, ipvsadm, VM suite
#   make check-debug     the VM suite on a KASAN/lockdep/kmemleak kernel
#   make lab             interactive shell in the lab VM, modules loaded
#   make install         modules (extra/), depmod, patched ipvsadm, man page

KV      ?= $(shell sh tools/kernel-version.sh)
KDIR    ?= /lib/modules/$(KV)/build
ifeq ($(wildcard $(KDIR)),)
KDIR    := /usr/src/linux-headers-$(KV)
endif
CACHE   ?= /var/cache/ipvs-ext
CHECKPATCH ?= $(CACHE)/checkpatch/checkpatch.pl
DESTDIR ?=
PREFIX  ?= /usr/local
VERSION := $(shell cat VERSION)

KSRC := ip_vs_ext_core.c ip_vs_persist_ext.c ip_vs_syncookie_main.c ip_vs_syncookie_relay.c \
	ip_vs_syncookie_ctl.c ip_vs_dos_reap.c include/ip_vs_syncookie_int.h \
	include/ip_vs_ext.h include/ip_vs_persist_calc.h \
	include/ip_vs_reap_calc.h include/ip_vs_syncookie_calc.h \
	include/uapi/linux/ip_vs_ext.h

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tests/unit clean
	rm -rf tools/ipvsadm/build

style:
	sh tools/checkpatch.sh $(KSRC)

ipvsadm:
	$(MAKE) -C tools/ipvsadm

unit:
	$(MAKE) -C tests/unit check

# libFuzzer on the cookie, option and translation logic (10 million runs)
fuzz:
	$(MAKE) -s -C tests/fuzz run RUNS=10000000

check:
	bash tests/check.sh

check-vm: modules ipvsadm
	bash tests/run-vm.sh

check-debug: ipvsadm
	bash tests/check-debug.sh

# benchmarks in one lab guest; methodology and results in bench/
bench: modules ipvsadm
	bash bench/run.sh

lab: modules ipvsadm
	bash tools/lab/run.sh --interactive tools/lab/demo.sh --setup-only

demo: modules ipvsadm
	bash tools/lab/run.sh tools/lab/demo.sh

install: modules ipvsadm
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KV)
	$(MAKE) -C tools/ipvsadm install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 0644 etc/modules-load.d/ipvs-ext.conf $(DESTDIR)/etc/modules-load.d/ipvs-ext.conf.example
	install -D -m 0644 etc/modprobe.d/ipvs-ext.conf $(DESTDIR)/etc/modprobe.d/ipvs-ext.conf.example
	install -D -m 0644 etc/sysctl.d/60-ipvs-ext.conf $(DESTDIR)/etc/sysctl.d/60-ipvs-ext.conf.example

dkms-add:
	mkdir -p $(DESTDIR)/usr/src/ipvs-ext-$(VERSION)
	cp -r Kbuild dkms.conf ip_vs_*.c include $(DESTDIR)/usr/src/ipvs-ext-$(VERSION)/
	dkms add ipvs-ext/$(VERSION)

.PHONY: all modules clean style ipvsadm unit fuzz bench check check-vm check-debug lab demo install dkms-add
