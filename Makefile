# Thin aliases: every target runs one documented command (see README.md).
SHELL := bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The CLI (3.2.29, installed into .venv by `make setup`), else one on PATH.
EXORDOS ?= $(if $(wildcard $(VENV)/bin/exordos),$(VENV)/bin/exordos,exordos)
SSH_KEY ?= $(wildcard ~/.ssh/id_ed25519.pub)
# make build: REPOSITORY is the CLI's --manifest-var repository, the element
# repository it validates the manifests against (their requirements: core,
# metapaas, s3aas); INDEX_URL makes MetaPaaS take the plugin from that index,
# pinned to the built wheel's version, instead of the element's own wheel.
REPOSITORY ?=
INDEX_URL ?=
MANIFEST_VARS := $(if $(REPOSITORY),--manifest-var repository=$(REPOSITORY)) \
                 $(if $(INDEX_URL),--manifest-var index_url=$(INDEX_URL))
# make publish: the repository directory (served over HTTP, e.g.
# `python3 -m http.server -d REPO_DIR 8080`); Core reaches it as REPO_URL,
# http://HOST:PORT/exordos-elements/.
REPO_DIR ?= output/repo
REPO_URL ?=
REPO_NAME ?= exordos-paas-s3
# The CLI's own default project for the repositories it registers.
PROJECT_ID ?= 00000000-0000-0000-0000-000000000000
# make repo-add / install: the Core endpoint and admin (not $(USER), the
# login name); without PASSWORD the CLI asks for it.
ENDPOINT ?=
CORE_USER ?= admin
PASSWORD ?=
VERSION ?=
CORE = $(EXORDOS) -e $(ENDPOINT) -u $(CORE_USER) $(if $(PASSWORD),-p $(PASSWORD))
# make stand STAND_ARGS="--port 8080 --state-dir /tmp/s3-stand"
STAND_ARGS ?=
PUBLISH_DIR ?= /srv/exordos-local-repo/simple

.PHONY: help setup check-packer build elements publish repo-add install wheel publish-wheel \
        lint format typecheck test functional stand bench conformance image-smoke ci

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

setup: ## system packages + .venv with the project (scripts/setup.sh)
	scripts/setup.sh

wheel: ## the wheel into output/dist and the image payload (wheelhouse pinned by sha256)
	PYTHON=$(PY) scripts/build-image-payload.sh

check-packer: ## what the data-plane image needs: packer >= 1.7 + plugins, qemu, KVM
	scripts/check-packer.sh

# The element version is the git tag on HEAD (`git tag 0.1.0`), else a
# pre-release X.Y.Z-rc+DATE.SHA. Without packer >= 1.7 etc. everything but
# the image is built and the target fails with exit 2, saying so.
build: wheel ## make wheel, then exordos build: example_s3 and s3aas (manifest, wheel, OpenAPI, icon, image) into output/elements
	@$(MAKE) --no-print-directory elements

elements: ## exordos build alone, on the payload `make wheel` made
	EXORDOS=$(EXORDOS) PYTHON=$(PY) scripts/build-elements.sh $(if $(SSH_KEY),-i $(SSH_KEY)) $(MANIFEST_VARS)

publish: ## lay the built elements out in REPO_DIR as the CLI's repository client reads it (+ latest alias)
	PYTHON=$(PY) scripts/publish-elements.sh $(REPO_DIR)

repo-add: ## register REPO_URL as an element repository in Core (once; ENDPOINT, CORE_USER, PASSWORD)
	$(CORE) repo add -p $(PROJECT_ID) -n $(REPO_NAME) --repo-url $(REPO_URL)

install: ## refresh the repository, install s3aas (VERSION, else the latest stable) into Core
	$(CORE) repo refresh $(REPO_NAME)
	$(CORE) ee install s3aas $(if $(VERSION),--version $(VERSION))

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
