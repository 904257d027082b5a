# The two commands a newcomer needs (README): `make demo` and `make check`; and
# `make install [PREFIX=/usr/local] [DESTDIR=]` for real hosts (docs/install.md).
.PHONY: all build check demo clean install

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build

all: build

build:
	@scripts/install-deps.sh
	@[ -f build/build.ninja ] || meson setup build
	ninja -C build

check:
	@scripts/check.sh

demo: build
	@scripts/demo.sh

# Installs secd and sec-guard (PREFIX/sbin), sectl (PREFIX/bin), the man pages, the systemd
# units (PREFIX/lib/systemd/system), the bash completion and an example configuration
# (PREFIX/share/doc/secluster) from $(BUILD), whose prefix it sets to PREFIX.
install:
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	@case "$(PREFIX)" in /*) ;; *) echo "PREFIX must be an absolute path"; exit 2;; esac
	@[ "$$(meson introspect --buildoptions $(BUILD) | python3 -c 'import json,sys; \
		print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')" \
		= "$(PREFIX)" ] || meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir "$(abspath $(DESTDIR))")

clean:
	rm -rf build build-asan build-tsan build-fuzz build*.log
