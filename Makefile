# The two commands of the README: `make demo` and `make test`. Both install what they need.
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: test demo build lint bench dcmtk browser postgresql clean mutate

$(STAMP): pyproject.toml setup.py
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q "setuptools>=77" wheel "Cython>=3.0" "numpy>=1.26"
	$(VPY) -m pip install -q --no-build-isolation -e '.[all,test,bench]'
	touch $(STAMP)

dcmtk:
	@command -v dcmprscp >/dev/null && command -v storescp >/dev/null && command -v echoscu >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk)

# The server's web console is tested in a real headless browser (Debian's, with its driver).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# The PostgreSQL spool is tested on a real server that the tests start themselves (initdb).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

build: $(STAMP)
	$(VPY) setup.py -q build_ext --inplace

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) dcmtk browser postgresql build lint
	$(VENV)/bin/pytest -q

# Break one thing we send at a time (tests/mutate.py) and check a test notices; slow, by hand.
mutate: $(STAMP) dcmtk postgresql build
	$(VPY) -m tests.mutate $(MUTATIONS)

bench: $(STAMP) dcmtk postgresql build
	$(VPY) bench/run_all.py

demo: $(STAMP) dcmtk build
	$(VPY) -m hcs.cli demo

clean:
	rm -rf build $(VENV) *.egg-info hcs/_fastpath/*.c hcs/_fastpath/*.so .pytest_cache .hypothesis
