# shiplog build.
#
#   make            debug build with sanitizers (build/debug)
#   make release    optimised build (build/release)
#   make run        set up, build, and start shiplogd on 127.0.0.1:8080
#   make test       set up, build with ASan+UBSan, run every test
#   make crash-long 1,000 kill -9 rounds under load on each backend
#   make bench      the benchmark harness (bench/README.md)
#   make format     clang-format every source file

MODE ?= debug
BUILD := build/$(MODE)

PKGS := libmicrohttpd jansson sqlite3 libsodium libcrypto libcurl libpq libical
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
WARN := -std=c17 -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 \
	-Wno-format-truncation
ifeq ($(MODE),release)
OPT := -O2 -g -DNDEBUG
SAN :=
else ifeq ($(MODE),fuzzlib)
OPT := -O1 -g
else
OPT := -O1 -g -fno-omit-frame-pointer -DSL_FAULTS
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CPPFLAGS := -D_GNU_SOURCE -Isrc -include src/core/banned.h
CFLAGS := $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) -MMD -MP
LDFLAGS := $(SAN)
LIBS := $(PKG_LIBS) -lpthread -lm

CORE_SRC := $(wildcard src/core/*.c)
CAL_SRC := $(wildcard src/cal/*.c)
STORE_SRC := $(wildcard src/store/*.c)
HTTP_SRC := $(filter-out src/http/main.c,$(wildcard src/http/*.c))
WORKER_SRC := $(wildcard src/workers/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

# The dashboard: web/ bundled by esbuild (its npm packages pinned by
# web/package-lock.json) into $(BUILD)/web/dist, then compiled into the
# daemon as a table of files (src/http/assets.h).
WEB_DIST := $(BUILD)/web/dist
ASSETS_C := $(BUILD)/web/assets.c
LIB_OBJ := $(call obj,$(CORE_SRC) $(CAL_SRC) $(STORE_SRC) $(HTTP_SRC) \
	$(WORKER_SRC)) \
	$(BUILD)/web/assets.o
DAEMON := $(BUILD)/shiplogd
CLI := $(BUILD)/shiplog
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Every fuzz target is also built with a replay main, so the tests run its
# corpus; `make fuzz` builds them with libFuzzer (clang) for long runs.
FUZZ_BIN := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all release run test unit format setup clean bench crash-long fuzz
all: $(DAEMON) $(CLI) $(UNIT_BIN) $(FUZZ_BIN)

release:
	$(MAKE) MODE=release all

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

ifneq ($(wildcard web/package-lock.json),)
WEB_SRC := $(shell find web/src -type f) web/build.mjs web/package-lock.json
NODE_STAMP := web/node_modules/.package-lock.json

$(NODE_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS_C): $(WEB_SRC) scripts/embed-assets.mjs $(NODE_STAMP)
	@rm -rf $(WEB_DIST) && mkdir -p $(WEB_DIST)
	node web/build.mjs --out $(WEB_DIST)
	node scripts/embed-assets.mjs $(WEB_DIST) $@
else
# A tree without web/: a daemon that says its dashboard was not built.
$(ASSETS_C): scripts/embed-assets.mjs
	@mkdir -p $(dir $@)
	node scripts/embed-assets.mjs $(WEB_DIST) $@
endif

$(BUILD)/web/assets.o: $(ASSETS_C)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The control mapping is assembled into the daemon (.incbin), which
# the compiler's dependency files do not see.
$(BUILD)/src/http/controls.o: data/controls.json

$(BUILD)/libshiplog.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DAEMON): $(call obj,src/http/main.c) $(BUILD)/libshiplog.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The CLI links the core (no I/O) for its vocabularies: help lists the
# words the server accepts from the same tables.
$(CLI): $(call obj,$(CLI_SRC)) $(call obj,$(CORE_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libshiplog.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o $(BUILD)/libshiplog.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer builds: make fuzz, then e.g.
#   build/fuzz/fuzz_rrule -max_total_time=600 fuzz/corpus/rrule
FUZZ_CC ?= clang
fuzz:
	@mkdir -p build/fuzz
	$(MAKE) MODE=fuzzlib CC=$(FUZZ_CC) \
		WARN="$(WARN) -Wno-unknown-warning-option" \
		SAN="-fsanitize=fuzzer-no-link,address,undefined" \
		build/fuzzlib/libshiplog.a
	for f in $(FUZZ_SRC); do \
		$(FUZZ_CC) $(CPPFLAGS) -std=c17 -g -O1 $(PKG_CFLAGS) \
			-fsanitize=fuzzer,address,undefined $$f \
			build/fuzzlib/libshiplog.a $(LIBS) \
			-o build/fuzz/$$(basename $$f .c) || exit 1; \
	done

setup:
	@scripts/setup

run: setup
	$(MAKE) MODE=release all
	build/release/shiplogd --listen 127.0.0.1:8080 --db ./shiplog.db

# BENCH_ARGS, e.g. "--sizes 10k,1m,10m --duration 30s --backend postgresql"
bench: setup
	@scripts/setup-bench
	$(MAKE) MODE=release all
	bench/run --no-build $(BENCH_ARGS)
	bench/log-verify --no-build
	bench/pg-writes --no-build
	bench/dashboard --no-build
	bench/hooks --no-build
	bench/dora --no-build

# The release build is built too, so what `make run` starts always
# compiles (it has no fault hook and takes other branches).
test: setup
	$(MAKE) MODE=release all
	$(MAKE) MODE=debug all
	tests/run

# The long crash run: 1,000 kill -9 rounds on each backend.
crash-long: setup
	$(MAKE) MODE=debug all
	SHIPLOG_CRASH_ROUNDS=1000 tests/run test_crash

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
