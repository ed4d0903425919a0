# rxcrawl. `make crawl` and `make test` are the whole set-up: each installs what it needs from the lockfile.
SHELL := bash
NODE_BIN := node_modules/.bin

.PHONY: crawl titles demo test typecheck unit bench soak clean help

help:
	@echo "make crawl [START=<url>]   crawl Douban-like book pages into data/out/douban-books.{csv,parquet,stats.json,html} (the bundled demo site without START)"
	@echo "make titles [LIST=<file>]  fetch a URL list, write page titles to data/out/titles.csv (the demo site's list without LIST)"
	@echo "make demo                  the seed's first lesson: sequential, concurrent and capped waits"
	@echo "make test                  type-check and run the whole test suite"
	@echo "make bench [SCENARIOS=cpu,latency,big|million|cluster|shards|seen|broad|broad-10k] [REFS=rxcrawl,crawlee,got,...]  rxcrawl against Crawlee and two ceilings, offline"
	@echo "make soak [ROUNDS=20] [ON=redis,cluster]  a shared crawl of three workers, one SIGKILLed at a random moment, repeated, on one Redis and on a three-master cluster"

# npm ci runs again only when the lockfile is newer than the installed tree.
node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

# The rows as CSV and as typed Parquet, the crawl's statistics as JSON, and an HTML report of them, side by side.
CRAWL_OUT := data/out/douban-books
crawl: node_modules/.package-lock.json
	./pipelines/douban-books.ts $(if $(START),$(START),--demo) --out $(CRAWL_OUT).csv --out $(CRAWL_OUT).parquet \
	  --stats $(CRAWL_OUT).stats.json --report $(CRAWL_OUT).html

titles: node_modules/.package-lock.json
ifdef LIST
	./pipelines/titles.ts $(LIST)
else
	./pipelines/titles.ts --demo
endif

demo: node_modules/.package-lock.json
	./pipelines/concurrency-demo.ts

typecheck: node_modules/.package-lock.json
	$(NODE_BIN)/tsc --noEmit -p .

# Most tests wait on sockets, timers and child processes, not the CPU: files run three at a time.
TEST_CONCURRENCY ?= 3
unit: node_modules/.package-lock.json
	node --import tsx --test --test-concurrency=$(TEST_CONCURRENCY) --test-reporter=spec $$(find test -name "*.test.ts" | sort)

test: typecheck unit

# The benchmark's reference crawler (Crawlee) has its own lockfile in bench/, so the main install stays lean.
bench/node_modules/.package-lock.json: bench/package-lock.json bench/package.json
	cd bench && npm ci --no-audit --no-fund
	@touch $@

bench: node_modules/.package-lock.json bench/node_modules/.package-lock.json
	node --import tsx bench/run.ts $(if $(SCENARIOS),--scenario $(SCENARIOS)) $(if $(REFS),--refs $(REFS))

# Needs redis-server (apt-get install -y redis-server).
soak: node_modules/.package-lock.json
	node --import tsx bench/soak.ts $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(ON),--on $(ON))

clean:
	rm -rf data/out dist
