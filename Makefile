# threatfeed: build, test and install. GNU make.
#
#   make          build build/threatfeed
#   make site     install missing build packages (Debian, as root), build, generate site/
#   make check    every test; ends with "N passed, N failed"
#   make check-asan    the same tests against an AddressSanitizer + UBSan build (build-asan/)
#   make check-valgrind  every test, with the unit tests and threatfeed run under valgrind
#   make fuzz     each libFuzzer target for FUZZ_SECONDS (clang; build-fuzz/), see tests/fuzz/fuzz.h
#   make lint     banned functions and warnings-as-errors
#   make bench    threatfeed against Hugo at 1,000, 10,000 and 100,000 announcements
#   make install / uninstall   (PREFIX, DESTDIR)

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1

CFLAGS ?= -O2 -g
PKGS = libgit2 libcmark jansson libcurl yaml-0.1 libxml-2.0 zlib
# What a fresh Debian 12 needs to build, and what the tests need on top.
BUILD_DEBS = gcc make pkg-config libc6-dev libgit2-dev libcmark-dev libjansson-dev \
	libcurl4-openssl-dev libyaml-dev libxml2-dev zlib1g-dev
TEST_DEBS = git libxml2-utils python3 python3-feedparser valgrind nginx-light curl chromium acl

BUILD ?= build
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -pthread
WARNINGS = -Wall -Wextra -Wpedantic -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
TF_CPPFLAGS = -D_GNU_SOURCE -DTHREATFEED_VERSION='"$(VERSION)"' -Isrc -I$(BUILD)
TF_CFLAGS = -std=c17 $(WARNINGS) $(PKG_CFLAGS) -pthread

LIB_SRCS = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/builtin_templates.o
TEMPLATE_FILES = $(sort $(wildcard templates/*.mustache templates/*.css))
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Fuzz targets, each also linked with a replay driver as a unit test over its committed corpus.
FUZZ_NAMES = $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_REPLAY_BINS = $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)

all: $(BUILD)/threatfeed

$(BUILD)/threatfeed: $(BUILD)/main.o $(BUILD)/libthreatfeed.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/libthreatfeed.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	$(CC) $(TF_CPPFLAGS) $(CPPFLAGS) $(TF_CFLAGS) $(CFLAGS) -c -o $@ $<

# The default templates are compiled into the binary so threatfeed works from any repository.
$(BUILD)/embed: src/tools/embed.c | $(BUILD)
	$(CC) -std=c17 $(WARNINGS) $(CFLAGS) -o $@ $<

$(BUILD)/builtin_templates.c: $(BUILD)/embed $(TEMPLATE_FILES)
	$(BUILD)/embed $(TEMPLATE_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/builtin_templates.o: $(BUILD)/builtin_templates.c src/builtin.h
	$(CC) $(TF_CPPFLAGS) $(CPPFLAGS) -std=c17 $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(BUILD)/libthreatfeed.a | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(CC) $(TF_CPPFLAGS) -Itests/unit $(CPPFLAGS) $(TF_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libthreatfeed.a $(PKG_LIBS)

# test_fuzz_NAME replays tests/fuzz/corpus/NAME/ (it finds the folder from its own name).
$(BUILD)/tests/test_fuzz_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libthreatfeed.a | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(CC) $(TF_CPPFLAGS) -Itests/fuzz $(CPPFLAGS) $(TF_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		tests/fuzz/replay.c tests/fuzz/fuzz_$*.c $(BUILD)/libthreatfeed.a $(PKG_LIBS)

# Libraries preloaded by tests/preload.sh to stand in for others (tests/shims/*.c). Built without
# sanitizers whatever CFLAGS says: they are loaded before the sanitizer's runtime.
SHIM_SRCS = $(wildcard tests/shims/*.c)
SHIM_LIBS = $(SHIM_SRCS:tests/shims/%.c=$(BUILD)/shims/%.so)

$(BUILD)/shims/%.so: tests/shims/%.c $(wildcard tests/shims/*.h) | $(BUILD)
	@mkdir -p $(BUILD)/shims
	$(CC) -D_GNU_SOURCE -std=c17 $(WARNINGS) $(filter -Werror,$(CFLAGS)) -O2 -fPIC -shared \
		$(shell pkg-config --cflags libcmark) -o $@ $< $(shell pkg-config --libs libcmark) -ldl

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BINS) $(FUZZ_REPLAY_BINS) $(SHIM_LIBS)

# Install what is missing (Debian); a no-op when everything is there.
deps:
	@missing=$$(for p in $(DEPS_WANTED); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
DEPS_WANTED = $(BUILD_DEBS)

deps-test:
	@$(MAKE) --no-print-directory deps DEPS_WANTED="$(BUILD_DEBS) $(TEST_DEBS)"

site: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/threatfeed build

check: deps-test
	@$(MAKE) --no-print-directory all unit
	tests/run $(BUILD)

check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all unit
	TESTS_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run build-asan

check-valgrind: all unit
	TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" \
		tests/run $(BUILD)

# Side by side with Debian's hugo (installed when missing); a benchmark, not a test: writes
# tests/bench/results.md (see README.md, "Performance"). About 12 minutes on 2 cores from a fresh
# clone; the old output is deleted in the background afterwards.
BENCH_DEBS = git python3 hugo
bench:
	@$(MAKE) --no-print-directory deps DEPS_WANTED="$(BUILD_DEBS) $(BENCH_DEBS)"
	@$(MAKE) --no-print-directory all
	/usr/bin/python3 tests/bench/run.py --threatfeed $(BUILD)/threatfeed --work $(BUILD)/bench

# libFuzzer needs clang (Debian: clang, libclang-rt-dev); not part of `make check` or CI. Each
# target runs FUZZ_SECONDS on a copy of its corpus in build-fuzz/corpus-NAME, so what it finds
# does not land in tests/fuzz/corpus/ (add a file there by hand to keep it). Crashes are written
# as build-fuzz/crash-NAME-*; replay one with build/tests/test_fuzz_NAME FILE.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SANITIZERS = address,undefined
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZERS) -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=$(FUZZ_SANITIZERS)" $(FUZZ_NAMES:%=build-fuzz/fuzz_%)
	@failed=; for n in $(FUZZ_NAMES); do \
		mkdir -p build-fuzz/corpus-$$n && cp -n tests/fuzz/corpus/$$n/* build-fuzz/corpus-$$n/; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		build-fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=20 -print_final_stats=1 \
			-artifact_prefix=build-fuzz/crash-$$n- build-fuzz/corpus-$$n \
			>build-fuzz/fuzz_$$n.log 2>&1 || failed="$$failed $$n"; \
		tail -n 3 build-fuzz/fuzz_$$n.log; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: found problems in:$$failed (see build-fuzz/*.log)"; exit 1; fi; \
	echo "fuzz: nothing found"

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build-fuzz/libthreatfeed.a
	$(CC) $(TF_CPPFLAGS) -Itests/fuzz $(CPPFLAGS) $(TF_CFLAGS) $(CFLAGS) -fsanitize=fuzzer \
		$(LDFLAGS) -o $@ $< build-fuzz/libthreatfeed.a $(PKG_LIBS)

lint:
	@! grep -nE '\<(sprintf|strcpy|strcat|strtok|atoi|gmtime|localtime|system)[[:space:]]*\(' src/*.c src/*.h \
		|| { echo "lint: banned function in src/ (see STYLE: use buf_printf, strtol, date_to_civil)"; exit 1; }
	@$(MAKE) --no-print-directory BUILD=build-lint CFLAGS="-O2 -Werror" all unit
	@echo "lint: clean"

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	cp -f $(BUILD)/threatfeed $(DESTDIR)$(BINDIR)/threatfeed
	chmod 755 $(DESTDIR)$(BINDIR)/threatfeed
	cp -f src/threatfeed.1 $(DESTDIR)$(MANDIR)/threatfeed.1
	chmod 644 $(DESTDIR)$(MANDIR)/threatfeed.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/threatfeed $(DESTDIR)$(MANDIR)/threatfeed.1

clean:
	rm -rf build build-asan build-lint build-fuzz

.PHONY: all unit deps deps-test site check check-asan check-valgrind lint fuzz bench install uninstall clean
