# Vigil's entry points. `make run` and `make test` are the two commands the README opens with.
SWIFT ?= swift
SAMPLES ?= Tests/Fixtures/reference/images

.PHONY: deps python run hash test build release bench bench-vpdq lint format consumer-check clean

deps:
	@bash scripts/install-deps.sh

python: deps
	@bash scripts/setup-python.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product vigil
	$(SWIFT) build -c release --product vigil-framer

# Vigil's main job on the embedded default: the provider node on SQLite (./vigil-data) with a list
# of the bundled benign sample images; it prints a demo key and a curl command that matches.
run: release
	.build/release/vigil serve --role all --sample $(SAMPLES)

# Hash the bundled benign sample images and print the table.
hash: release
	.build/release/vigil hash $(SAMPLES)

# The whole test suite, with the reference implementations (pdqhash on Pillow) installed for the
# conformance tests and a throwaway PostgreSQL cluster for the store contract suite (scripts/test.sh).
test: python
	SWIFT=$(SWIFT) bash scripts/test.sh

# Style: swift-format (bundled with the toolchain) with the settings in .swift-format.
LINT_PATHS ?= Sources Tests Benchmarks/Sources Benchmarks/Package.swift Package.swift Fuzz/Sources Fuzz/Package.swift
lint:
	$(SWIFT) format lint --strict --parallel --recursive $(LINT_PATHS)

format:
	$(SWIFT) format format --in-place --parallel --recursive $(LINT_PATHS)

# The library products as another package sees them: a consumer that depends on the committed tree
# by version, built and run (scripts/check-consumer.sh).
consumer-check:
	bash scripts/check-consumer.sh

bench: python
	bash Benchmarks/pdq/run.sh

# vPDQ: Vigil's video hashing against PyPI vpdq in the same run (docs/video.md).
bench-vpdq: python
	bash Benchmarks/vpdq/run.sh

clean:
	rm -rf .build .venv Benchmarks/out
