# peil: a thin wrapper around CMake. The two commands a new user needs:
#   make demo   install what is missing, build, simulate a G4 extract, show it
#   make test   install what is missing, build, run every test
BUILD     ?= build
JOBS      ?= $(shell nproc)
DEMO_DIR  ?= out
PERSONS   ?= 100000
SEED      ?= 2024
CMAKE_ARGS ?=

# Debian packages needed to build and test peil.
DEB_BUILD := build-essential cmake pkg-config libhdf5-dev libgsl-dev libopenblas-openmp-dev \
             libcsv-dev libjansson-dev libinih-dev liblzf-dev libsleef-dev libcmocka-dev nettle-dev \
             python3 python3-h5py python3-pandas
# Extra packages for benchmarks and regenerating reference values.
DEB_BENCH := r-base-core r-cran-sandwich r-cran-matchit python3-statsmodels hyperfine

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps build demo test test-sanitize bench install clean

all: build

# Installs only what is missing; a no-op when everything is there.
deps:
	@missing=$$(for p in $(DEB_BUILD); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

bench-deps: deps
	@missing=$$(for p in $(DEB_BENCH); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Configuring again is cheap and picks up changed CMAKE_ARGS.
build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) > /dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The G4 comparison as a batch run (examples/g4.ini) on a simulated extract:
# every table, disclosure-controlled, in $(DEMO_DIR)/g4/ (report.md has all
# of them); the main table (still on bijstand in the same city, by city) is
# printed.
demo: build
	@mkdir -p $(DEMO_DIR)
	$(BUILD)/peil simulate -o $(DEMO_DIR)/g4.h5 --persons $(PERSONS) --seed $(SEED)
	$(BUILD)/peil info $(DEMO_DIR)/g4.h5
	$(BUILD)/peil run examples/g4.ini --store $(DEMO_DIR)/g4.h5 -o $(DEMO_DIR)/g4
	@for ex in stip esf hazard; do \
	  echo "$(BUILD)/peil run examples/$$ex.ini --store $(DEMO_DIR)/g4.h5 -o $(DEMO_DIR)/$$ex -q"; \
	  $(BUILD)/peil run examples/$$ex.ini --store $(DEMO_DIR)/g4.h5 -o $(DEMO_DIR)/$$ex -q || exit 1; \
	done
	@echo; grep -E '^(###|\|)' $(DEMO_DIR)/g4/g4_outcomes.md | grep -E '^###|^\| (subset|:)|^\| all +\| pooled .*\| still ' 
	@echo "The report: $(DEMO_DIR)/g4/report.md (every table also as CSV and JSON; manifest.json, disclosure_audit.csv)"
	@echo "The other replication examples (docs/replication.md): $(DEMO_DIR)/stip/report.md, $(DEMO_DIR)/esf/report.md, $(DEMO_DIR)/hazard/report.md"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests in an AddressSanitizer + UndefinedBehaviorSanitizer build.
test-sanitize: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DPEIL_SANITIZE=ON -DPEIL_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

bench: bench-deps build
	benchmarks/run-all.sh $(BUILD)/peil

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
