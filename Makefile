# Set-up is part of every target: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
CHROMIUM := /usr/bin/chromium

.PHONY: run test bench int8 fuzz-api venv fonts browser lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,scale]'
	touch $(STAMP)

venv: $(STAMP)

# Noto CJK renders the synthetic Chinese receipts the tests read; install it when we can.
fonts:
	@test -f $(CJK_FONT) || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) ; } || \
	  echo "fonts-noto-cjk not installed: tests that render Chinese receipts will skip"

# Debian's chromium drives the browser tests (Playwright cannot download browsers here).
browser:
	@test -x $(CHROMIUM) || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: browser tests will skip"

# The fake WeChat (development only) starts with the app: the phone page /m/ signs in with it.
# The demo runs the WeChat Pay 智慧商圈 channel against the fake WeChat Pay (test keys).
run: export RP_WECHATPAY_DEMO ?= true
run: venv fonts
	$(BIN)/python app.py seed-demo --with-receipts
	RP_WECHAT_FAKE=true $(BIN)/python app.py serve

test: venv fonts browser
	$(BIN)/python -m pytest

# DEDUPE_BENCH=--ten-million adds 10 M stored receipts (a long load, kept for later runs).
bench: venv fonts
	$(BIN)/python -m bench
	$(BIN)/python -m bench.dedupe_scale $(DEDUPE_BENCH)
	$(BIN)/python -m bench.load

# int8 OCR models (RP_OCR_PRECISION=int8_det or int8), calibrated on generated receipts with
# NNCF, written to var/models/int8 (RP_OCR_INT8_MODEL_DIR); a few minutes.
INT8_STAMP := $(VENV)/.int8-stamp
$(INT8_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[int8]'
	touch $(INT8_STAMP)

int8: $(INT8_STAMP) fonts
	$(BIN)/python -m training_data.quantize

# Schemathesis against the running app, every operation (minutes; not in `make test`).
fuzz-api: venv
	RP_SCHEMATHESIS=1 $(BIN)/python -m pytest -q tests/api/test_api_schemathesis.py

clean:
	rm -rf $(VENV) var .pytest_cache
