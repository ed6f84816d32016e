# SPDX-License-Identifier: GPL-2.0-only
#
# The one build for Weir: BPF objects and skeletons, the `weir` binary, tests,
# fuzzers and benchmarks. Everything goes under .output/; binaries under
# .output/bin/. `make help` lists the targets.

OUTPUT     ?= .output
BIN        := $(OUTPUT)/bin
CLANG      ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL    ?= bpftool
CC         ?= gcc
PKG_CONFIG ?= pkg-config
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null || echo $$(uname -m)-linux-gnu)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libbpf libxdp libhs nanomsg msgpack libpcap jansson libpcre2-8 libcrypto yaml-0.1 libcap libmicrohttpd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wimplicit-fallthrough -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -MD -D_GNU_SOURCE -pthread \
	-Iinclude -Iuser -I$(OUTPUT) $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lelf -lz -lm -pthread

ifneq ($(SANITIZER),)
SAN_FLAGS := -fsanitize=$(SANITIZER) -fno-sanitize-recover=all -fno-omit-frame-pointer
override CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__bpf__ \
	-Wall -Wextra -Werror -Wshadow -Wimplicit-fallthrough -Wno-unused-parameter \
	-Iinclude -I/usr/include/$(MULTIARCH)

# --- sources -------------------------------------------------------------
BPF_SRCS   := $(wildcard kern/*.bpf.c)
BPF_OBJS   := $(patsubst kern/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst kern/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

USER_SRCS  := $(sort $(wildcard user/*/*.c))
MAIN_SRC   := user/core/main.c
LIB_SRCS   := $(filter-out $(MAIN_SRC),$(USER_SRCS))
LIB_OBJS   := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
LIBWEIR    := $(OUTPUT)/libweir.a

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/bin/%,$(UNIT_SRCS))
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
BPFT_BINS  := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bin/%,$(BPFT_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BIN)/%,$(BENCH_SRCS))

FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_REGR  := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz-regress/%,$(FUZZ_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo demo-replay test test-unit test-bpf test-netns test-replay \
	test-corpus fuzz fuzz-regress bench check clean help

all: $(BIN)/weir

help:
	@echo 'Targets:'
	@echo '  make deps          install the Debian packages the project needs (idempotent)'
	@echo '  make / make all    build BPF objects, skeletons and .output/bin/weir'
	@echo '  make demo          live demo: weir run on a namespace "node", attacks between pods (root)'
	@echo '  make demo-replay   replay the bundled capture with the bundled signatures (EVE JSON)'
	@echo '  make test          build and run every test; ends with "N passed, N failed"'
	@echo '  make test-unit     cmocka unit tests only'
	@echo '  make fuzz-regress  replay the fuzz seed corpora'
	@echo '  make fuzz          build the libFuzzer targets under .output/fuzz/'
	@echo '  make bench         build benchmark programs (see bench/README.md)'
	@echo '  make check         clang-format and clang-tidy on user code'
	@echo '  make clean'
	@echo 'Variables: V=1 (show commands), SANITIZER=address|undefined|thread'

# --- dependencies --------------------------------------------------------
deps:
	$(Q)tools/deps.sh

# --- BPF -----------------------------------------------------------------
$(OUTPUT)/%.bpf.o: kern/%.bpf.c $(wildcard kern/*.bpf.h) $(wildcard include/weir/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- userspace -----------------------------------------------------------
$(OUTPUT)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBWEIR): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BIN)/weir: $(OUTPUT)/$(MAIN_SRC:.c=.o) $(LIBWEIR) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT) $(BIN):
	$(Q)mkdir -p $@

# --- tests ---------------------------------------------------------------
$(UNIT_BINS): $(OUTPUT)/tests/bin/%: $(OUTPUT)/tests/unit/%.o $(LIBWEIR)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BPFT_BINS): $(OUTPUT)/tests/bin/%: $(OUTPUT)/tests/bpf/%.o $(LIBWEIR)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BENCH_BINS): $(BIN)/%: $(OUTPUT)/bench/%.o $(LIBWEIR) | $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Fuzz targets link the library built without LTO; the regress build uses the
# normal compiler and a small driver that feeds every seed file once.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUTPUT) $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(FUZZ_BINS): $(OUTPUT)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | $(SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(LIB_SRCS) $(LDLIBS) -o $@

$(FUZZ_REGR): $(OUTPUT)/fuzz-regress/%: $(OUTPUT)/tests/fuzz/%.o $(OUTPUT)/tests/fuzz/regress_main.o $(LIBWEIR)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# --- entry points --------------------------------------------------------
demo: deps-if-needed all
	$(Q)if [ "$$(id -u)" -eq 0 ]; then tools/demo-live.sh; else \
		echo "make demo: the live demo needs root (namespaces, BPF); replaying instead"; \
		tools/demo-replay.sh; fi

demo-replay: deps-if-needed all
	$(Q)tools/demo-replay.sh

.PHONY: deps-if-needed
deps-if-needed:
	$(Q)tools/deps.sh --if-needed

test: deps-if-needed
	$(Q)$(MAKE) --no-print-directory all tests-build
	$(Q)OUTPUT=$(OUTPUT) tests/run

.PHONY: tests-build
tests-build: $(BIN)/weir $(UNIT_BINS) $(BPFT_BINS) $(FUZZ_REGR) $(BENCH_BINS)

test-unit: $(UNIT_BINS)
	$(Q)OUTPUT=$(OUTPUT) tests/run unit

test-bpf: $(BPFT_BINS) $(BIN)/weir
	$(Q)OUTPUT=$(OUTPUT) tests/run bpf

test-replay: $(BIN)/weir
	$(Q)OUTPUT=$(OUTPUT) tests/run replay

test-corpus: $(BIN)/weir
	$(Q)OUTPUT=$(OUTPUT) tests/run corpus

test-netns: $(BIN)/weir
	$(Q)OUTPUT=$(OUTPUT) tests/run netns

fuzz-regress: $(FUZZ_REGR)
	$(Q)OUTPUT=$(OUTPUT) tests/run fuzz

fuzz: $(FUZZ_BINS)

bench: $(BENCH_BINS) $(BIN)/weir

check:
	$(Q)clang-format --dry-run -Werror $(USER_SRCS) $(wildcard user/*/*.h)
	$(Q)clang-tidy $(USER_SRCS) -- $(CFLAGS)

clean:
	$(Q)rm -rf $(OUTPUT)

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
