"""The shipped model files, ``<name>.pt`` + ``<name>.yaml``, shipped as package data. List,
load and ship them with :mod:`stylist.models` (``shipped()``, ``load_model(name)``, ``ship()``)."""
