# ContentFlow: `make run` starts the local system, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
HOST ?= 127.0.0.1
PORT ?= 8000
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := node_modules/.bin/cdk

.PHONY: run test lint synth bench openapi clean secrets-baseline package deploy diff load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install when the project file changes; the stamp names the extras installed.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[$(subst +,$(comma),$*)]'
	touch $@

comma := ,

run: $(VENV)/.installed-local
	$(BIN)/contentflow dev --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev+cdk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here):
# installed with apt when missing, as root or through sudo.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# Two workers (CI has 2 cores); tests sharing a session fixture stay together (tests/conftest.py):
# the CDK app's tests on one, the local runtime's (the fuzzer among them) on one, the rest spread.
TEST_WORKERS ?= 2
test: lint $(CDK) $(CHROMIUM)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

synth: $(VENV)/.installed-cdk
	$(BIN)/python infra_cdk/app.py -c stage=$(STAGE)

# Every Lambda asset as the CDK app ships it (build/package/lambda), host twins for the packaged-function
# tests (build/package/host), and the size of each function with its layers.
package: $(VENV)/.installed-dev+cdk
	$(BIN)/python -m infra_cdk.package

# The CDK CLI pinned in package.json; AWS credentials and a bootstrapped account (docs/DEPLOYMENT.md).
CDK_ARGS := --app "$(BIN)/python infra_cdk/app.py" -c stage=$(STAGE) $(if $(CONTEXT),$(foreach c,$(CONTEXT),-c $(c)))

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

diff: $(VENV)/.installed-cdk $(CDK)
	$(CDK) diff $(CDK_ARGS)

deploy: $(VENV)/.installed-cdk $(CDK)
	$(CDK) deploy $(CDK_ARGS) --require-approval broadening

bench: $(VENV)/.installed-dev+cdk
	$(BIN)/python -m bench

clean:
	rm -rf cdk.out build .pytest_cache

# Regenerate the committed API reference after changing a route or model.
openapi: $(VENV)/.installed-dev+cdk
	$(BIN)/python -m contentflow.web.openapi > docs/openapi.json

# After reviewing what the secret scanner reports (tests/unit/test_security_scan.py): record it in the
# baseline, then mark each new entry with `$(BIN)/detect-secrets audit .secrets.baseline`.
secrets-baseline: $(VENV)/.installed-dev+cdk
	git ls-files --cached --others --exclude-standard | grep -vx .secrets.baseline \
		| xargs $(BIN)/detect-secrets scan --baseline .secrets.baseline -p tests/security_scan_plugin.py
	sed -i 's#file://$(CURDIR)/#file://#' .secrets.baseline  # the plugin's path, from any clone

# A bounded load (20 s) on a `contentflow dev` of its own; fails if a click is lost or counted twice.
load: $(VENV)/.installed-dev+cdk
	$(BIN)/python -m bench.load
