# ocirun: build, test, demo and bench. `make demo` and `make test` work on a fresh
# Debian 12 machine with the .NET SDK: they install what is missing first.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
BIN := bin/ocirun
ROOTFS := build/rootfs
PREFIX ?= /usr/local

.PHONY: all deps criu native build test test-unit test-integration test-e2e demo demo-systemd bench install uninstall clean

all: build

deps:
	@scripts/deps.sh
	@scripts/criu.sh
	@scripts/rootfs.sh $(ROOTFS)
	@scripts/sid-peer.sh runc13
	@scripts/sid-peer.sh crun128
	@scripts/cri-api.sh build/cri-api/api.proto

native:
	@$(MAKE) -s -C native

build: native
	@$(DOTNET) publish src/Ocirun.Cli -c $(CONFIG) -r linux-x64 -o build/publish --nologo -v quiet -clp:NoSummary
	@mkdir -p bin && cp build/publish/ocirun $(BIN)
	@echo "build: $(BIN) ($$(stat -c %s $(BIN)) bytes)"

# The tested binary is never older than the sources it is built from.
SOURCES := $(shell find src native -name '*.cs' -o -name '*.c' -o -name '*.h' -o -name '*.csproj' -o -name '*.proto' -o -name Makefile 2>/dev/null | grep -v '/obj/\|/bin/')
$(BIN): $(SOURCES)
	@$(MAKE) -s build

test: deps build test-unit test-integration test-e2e

test-unit:
	@scripts/dotnet-test.sh unit tests/Ocirun.UnitTests

test-integration: $(BIN)
	@OCIRUN_BIN=$(abspath $(BIN)) OCIRUN_ROOTFS=$(abspath $(ROOTFS)) \
		scripts/dotnet-test.sh integration tests/Ocirun.IntegrationTests
	@scripts/check-leaks.sh $(abspath $(BIN))

# Podman and containerd driving ocirun (and runc, side by side).
test-e2e: $(BIN)
	@OCIRUN_BIN=$(abspath $(BIN)) OCIRUN_ROOTFS=$(abspath $(ROOTFS)) \
		scripts/dotnet-test.sh e2e tests/Ocirun.E2ETests
	@scripts/check-leaks.sh $(abspath $(BIN))

demo: deps build
	@scripts/demo.sh $(abspath $(BIN)) $(abspath $(ROOTFS))
	@scripts/migrate-lazy.sh $(abspath $(BIN)) $(abspath $(ROOTFS))

# The same workflow under systemd's cgroup driver, in this machine's OS booted with systemd as PID 1.
demo-systemd: deps build
	@scripts/demo-systemd.sh $(abspath $(BIN)) $(abspath $(ROOTFS))

bench: deps build
	@scripts/bench.py $(abspath $(BIN)) $(abspath $(ROOTFS)) --out bench
	@scripts/bench-cr.sh $(abspath $(BIN)) $(abspath $(ROOTFS))

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/ocirun
	install -D -m 0644 packaging/containers-ocirun.conf $(DESTDIR)/etc/containers/containers.conf.d/50-ocirun.conf

# Everything install and deps put outside the repository that Debian's packages did not:
# the binary, the Podman drop-in, the private CRIU and its wrapper.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ocirun $(DESTDIR)/etc/containers/containers.conf.d/50-ocirun.conf
	rm -f /usr/local/sbin/criu
	if [ -f /opt/ocirun/mounts-made ]; then \
	  while read -r m; do umount "$$m" && rmdir "$$m" || true; done </opt/ocirun/mounts-made; fi
	rm -rf /opt/ocirun

clean:
	rm -rf bin build src/*/bin src/*/obj tests/*/bin tests/*/obj
