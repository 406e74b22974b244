# The README's two commands, plus developer conveniences.
.PHONY: demo test lint typecheck bench constraints

demo:  ## install and run the demo (portfolio, monitoring run, web UI on :8000)
	python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e . && .venv/bin/kizashi demo

test:  ## install and run the whole test suite (SQLite + PostgreSQL + Chromium)
	python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e '.[dev]' && .venv/bin/python -m pytest -n 2

lint:
	.venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench

typecheck:
	.venv/bin/mypy

bench:
	.venv/bin/python bench/bench_synth.py 100000

constraints:  ## re-pin every dependency (reproducible installs)
	.venv/bin/pip freeze --exclude-editable | grep -v '^kizashi' > constraints.txt
