# The two everyday commands: `make preview` (offline plan of a stack) and `make test`.
PYTHON ?= python3
VENV   := .venv
STACK  ?= staging
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: preview test

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

preview: $(STAMP)
	$(VENV)/bin/python -m tools.preview $(STACK) $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest -n 2 --dist worksteal
