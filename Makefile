# The two entry points of the README. Each sets everything up first.
.PHONY: setup demo test bench bench-rank screenshots package

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/python main.py demo

test: setup
	INSPECTOR_PACKAGE_TEST=1 QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/sync.py
	.venv/bin/python bench/screen.py --curve
	.venv/bin/python bench/census_tick.py
	.venv/bin/python bench/crypt.py
	.venv/bin/python bench/report.py
	.venv/bin/python bench/login.py
	.venv/bin/python bench/verify.py
	.venv/bin/python bench/exchange.py
	.venv/bin/python bench/snapshot_exchange.py
	QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py

# Region ranking on PostgreSQL: builds a 30-institution region once (6-10 min) into .bench/rank-pg,
# keeps that server running and reuses the region on later runs (stop it: bench/rank.py --data-dir .bench/rank-pg --stop).
BENCHDATA ?= $(or $(INSPECTOR_BENCHDATA),/work/benchdata)
bench-rank: setup
	.venv/bin/python bench/rank.py --data-dir .bench/rank-pg --reuse \
		$(if $(wildcard $(BENCHDATA)/hospital-central.db),--source $(BENCHDATA)/hospital-central.db)

package: setup
	bash packaging/build.sh
