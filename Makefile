# Thin aliases: every target runs one documented command (see README.md).
SHELL := bash
VENV ?= .venv
PY := $(VENV)/bin/python
EXORDOS ?= exordos
SSH_KEY ?= $(wildcard ~/.ssh/id_ed25519.pub)
REPOSITORY ?=
INDEX_URL ?=
# make install: the Core endpoint and admin (not $(USER), the login name).
ENDPOINT ?=
CORE_USER ?= admin
PASSWORD ?=
VERSION ?=
# make stand STAND_ARGS="--port 8080 --state-dir /tmp/s3-stand"
STAND_ARGS ?=
PUBLISH_DIR ?= /srv/exordos-local-repo/simple
MANIFEST_VARS := $(if $(REPOSITORY),--manifest-var repository=$(REPOSITORY)) \
                 $(if $(INDEX_URL),--manifest-var index_url=$(INDEX_URL))

.PHONY: help setup build install wheel publish-wheel lint format typecheck test \
        functional stand bench conformance image-smoke ci

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

setup: ## system packages + .venv with the project (scripts/setup.sh)
	scripts/setup.sh

wheel: ## the wheel into output/dist and the image payload (wheelhouse pinned by sha256)
	scripts/build-image-payload.sh

# -o output/elements: `exordos build -f` empties its output directory, and the
# payload it copies into the image lives in output/image-payload.
build: wheel ## exordos build: the s3aas element (manifest + data-plane image) into output/elements
	$(EXORDOS) build -c exordos/exordos.yaml -o output/elements -f $(if $(SSH_KEY),-i $(SSH_KEY)) $(MANIFEST_VARS) .

install: ## install the built s3aas element into Exordos Core (ENDPOINT, CORE_USER, PASSWORD, VERSION, REPOSITORY)
	$(EXORDOS) -e $(ENDPOINT) -u $(CORE_USER) -p $(PASSWORD) \
	  ee install s3aas --version $(VERSION) --repository $(REPOSITORY)

publish-wheel: wheel ## copy the wheel to a local simple index (PUBLISH_DIR)
	mkdir -p $(PUBLISH_DIR)/exordos-paas-s3
	cp output/dist/exordos_paas_s3-*.whl $(PUBLISH_DIR)/exordos-paas-s3/

lint: ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: ## ruff format
	$(VENV)/bin/ruff format .

typecheck: ## mypy on the package
	$(VENV)/bin/mypy exordos_paas_s3

test: ## the whole suite: the README's test command, as .ci/run runs it
	$(PY) -m pytest

functional: ## functional tests only (real gateway / API processes)
	$(PY) -m pytest exordos_paas_s3/tests/functional

stand: ## the local stand on embedded defaults (STAND_ARGS: --port, --state-dir, --pg-url)
	$(VENV)/bin/exordos-paas-s3 stand $(STAND_ARGS)

bench: ## gateway vs moto benchmark
	$(PY) bench/run.py

conformance: ## ceph/s3-tests against the gateway
	$(PY) -m pytest exordos_paas_s3/tests/conformance

image-smoke: ## debootstrap + install.sh in a chroot + boto3 round trip (root)
	scripts/image-smoke.sh

ci: ## everything CI runs
	bash .ci/run
