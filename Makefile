# The two commands a newcomer needs (README): `make demo` and `make check`.
.PHONY: all build check demo clean

all: build

build:
	@scripts/install-deps.sh
	@[ -f build/build.ninja ] || meson setup build
	ninja -C build

check:
	@scripts/check.sh

demo: build
	@scripts/demo.sh

clean:
	rm -rf build build-asan build-tsan build-fuzz build*.log
