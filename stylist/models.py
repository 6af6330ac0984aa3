"""Trained models: the one way to ship, list and load them.

A shipped model is ``stylist/weights/<name>.pt`` (a state dict, usually float16) next to
``<name>.yaml``, its metadata in one format:

* ``kind``: the builder that turns ``architecture`` and the weights into a module;
* ``architecture``: the builder's arguments (e.g. ``{width: 16, blocks: 5}``);
* ``description``, ``steps``, ``train_seconds`` (training wall time), ``metrics``, ``command``
  (what trained it), ``machine``, ``date``, ``dtype``;
* ``config``: the run's resolved config with paths relative to the repository;
* kind-specific facts (a Johnson model's ``style``, the WCT decoders' ``backbone_weights``, ...).

Each kind registers its builder where the kind lives, with :func:`register_kind`; :func:`ship`
writes a model, :func:`shipped` lists them (read once per change of the folder) and :func:`load_model`
loads one by name, or from a ``.pt`` file with its ``.yaml`` beside it (a shipped pair kept elsewhere):
one reader of metadata and weights for every kind.

Example:
    >>> sorted(shipped())  # doctest: +SKIP
    ['deeplab_modanet_ccp', 'starry_night', 'starry_night_fast', 'wct_vgg16_decoders']
    >>> net = load_model("starry_night")  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
import yaml
from torch import nn

from stylist.utils import StylistError, atomic_write, is_temporary, load_torch_file

__all__ = ["WEIGHTS_DIR", "BUILDERS", "register_kind", "shipped", "metadata", "weights_path", "load_model", "ship",
           "relative_paths"]  # fmt: skip

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
REPO_ROOT = Path(__file__).resolve().parents[1]

#: ``builder(architecture, state_dict) -> module``: builds the architecture and loads the weights.
Builder = Callable[[Mapping[str, Any], Mapping[str, torch.Tensor]], nn.Module]

#: kind -> builder; filled by :func:`register_kind` in the modules that define the kinds.
BUILDERS: dict[str, Builder] = {}
#: kind -> what a model of that kind is, for messages (``"a segmenter"``).
DESCRIPTIONS: dict[str, str] = {}


def register_kind(kind: str, description: str) -> Callable[[Builder], Builder]:
    """Decorator registering ``builder(architecture, state_dict) -> module`` for shipped models of
    ``kind``; ``description`` names such a model in messages (``"a segmenter"``)."""

    def decorate(builder: Builder) -> Builder:
        BUILDERS[kind], DESCRIPTIONS[kind] = builder, description
        return builder

    return decorate


def _builder(kind: str) -> Builder:
    if kind not in BUILDERS:  # the built-in kinds register themselves when their modules are imported
        import stylist.johnson.inference  # noqa: F401  johnson
        import stylist.segmentation.predict  # noqa: F401  deeplab
        import stylist.wct.decoder  # noqa: F401  wct
    if kind not in BUILDERS:
        raise StylistError(f"no builder for models of kind '{kind}'; known: {sorted(BUILDERS)}")
    return BUILDERS[kind]


def shipped(weights_dir: str | os.PathLike = WEIGHTS_DIR) -> dict[str, dict[str, Any]]:
    """The shipped models: ``{name: metadata}``.

    The metadata files are read once and again only when the folder's ``.yaml`` files change (one
    added, removed or rewritten: their names, inodes, sizes and modification times are the cache
    key), so listing is cheap. Each call returns its own copy.
    """
    folder = Path(weights_dir).resolve()
    paths = [path for path in sorted(folder.glob("*.yaml")) if not is_temporary(path)]  # skip unfinished writes
    signature = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed since the listing
            continue
        signature.append((path.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return copy.deepcopy(_read_folder(folder, tuple(signature)))


@functools.lru_cache(maxsize=8)
def _read_folder(folder: Path, signature: tuple[tuple[str, int, int, int], ...]) -> dict[str, dict[str, Any]]:
    """``{name: metadata}`` of the ``.yaml`` files named in ``signature`` (the cache key of :func:`shipped`)."""
    return {Path(name).stem: _read_metadata(folder / name) for name, *_ in signature}


def _read_metadata(path: Path) -> dict[str, Any]:
    """One metadata file; unreadable YAML is a :class:`StylistError` naming it."""
    try:
        meta = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise StylistError(f"cannot read model metadata {path}: {err}") from None
    return meta if isinstance(meta, dict) else {}


def metadata(name: str, weights_dir: str | os.PathLike = WEIGHTS_DIR) -> dict[str, Any]:
    """A shipped model's metadata; an unknown name's error lists the shipped ones."""
    models = shipped(weights_dir)
    if name not in models:
        raise StylistError(f"no shipped model '{name}'; shipped: {sorted(models) or 'none'}")
    return models[name]


def weights_path(name: str, weights_dir: str | os.PathLike = WEIGHTS_DIR) -> Path:
    """Path of a shipped model's ``.pt`` file."""
    metadata(name, weights_dir)
    path = Path(weights_dir) / f"{name}.pt"
    if not path.is_file():
        raise StylistError(f"shipped model '{name}' has metadata but no weights file {path}")
    return path


def load_state(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict file (tensors only), as float32; a missing or corrupt file is a :class:`StylistError`."""
    state = load_torch_file(path)
    if not isinstance(state, Mapping):
        raise StylistError(f"{path} holds no state dict")
    return {key: value.float() if value.is_floating_point() else value for key, value in state.items()}


def load_model(
    name: str | os.PathLike, weights_dir: str | os.PathLike = WEIGHTS_DIR, *, kind: str | None = None
) -> nn.Module:
    """A shipped model, in eval mode with frozen float32 weights.

    Args:
        name: a shipped name in ``weights_dir``, or a weights file (a ``Path``, or a name ending in
            ``.pt``/``.pth``) with its metadata ``<stem>.yaml`` beside it, as :func:`ship` writes them.
        kind: the kind the caller needs (e.g. ``"deeplab"``); another kind is a :class:`StylistError`.
    """
    if isinstance(name, os.PathLike) or Path(name).suffix in (".pt", ".pth"):
        weights = Path(name).expanduser()
        state = load_state(weights)  # a missing or corrupt file is named first
        if not weights.with_suffix(".yaml").is_file():
            raise StylistError(
                f"{weights} is a bare state dict: {_description(kind)} also needs its metadata "
                f"{weights.stem}.yaml beside it (as stylist.models.ship writes it)"
            )
        source = str(weights.with_suffix(".yaml"))
        meta = _read_metadata(Path(source))
        builder = _checked_builder(meta, kind, source)
    else:
        meta, source = metadata(str(name), weights_dir), f"the metadata of shipped model '{name}'"
        builder = _checked_builder(meta, kind, source)
        state = load_state(weights_path(str(name), weights_dir))
    try:
        module = builder(meta.get("architecture") or {}, state)
    except (KeyError, TypeError) as err:
        raise StylistError(f"{source} has no valid architecture for {_description(meta.get('kind'))}: {err}") from None
    return module.eval().requires_grad_(False)


def _description(kind: Any) -> str:
    return DESCRIPTIONS.get(str(kind), f"a model of kind '{kind}'") if kind is not None else "a model"


def _checked_builder(meta: Mapping[str, Any], kind: str | None, source: str) -> Builder:
    """The builder of the model ``meta`` describes, which must be of ``kind`` when one is asked for."""
    builder = _builder(str(meta.get("kind")))
    if kind is not None and meta.get("kind") != kind:
        raise StylistError(f"{source} does not describe {_description(kind)} (kind '{meta.get('kind')}', not '{kind}')")
    return builder


def relative_paths(config: Any, root: str | os.PathLike = REPO_ROOT) -> Any:
    """``config`` (nested dicts and lists) with absolute paths below ``root``'s parent rewritten
    relative to ``root`` (``/work/main/../shared/x`` -> ``../shared/x``), so that metadata names no
    machine's folders."""
    if isinstance(config, Mapping):
        return {key: relative_paths(value, root) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [relative_paths(value, root) for value in config]
    if isinstance(config, str) and os.path.isabs(config):
        path, base = os.path.normpath(config), os.path.normpath(Path(root).resolve())
        if os.path.commonpath([path, os.path.dirname(base)]) == os.path.dirname(base):
            return os.path.relpath(path, base)
    return config


def ship(
    name: str,
    kind: str,
    state_dict: Mapping[str, torch.Tensor],
    architecture: Mapping[str, Any],
    *,
    description: str,
    config: Mapping[str, Any],
    steps: int,
    train_seconds: float | None,
    metrics: Mapping[str, Any],
    command: str,
    machine: str,
    date: str | None = None,
    half: bool = True,
    extra: Mapping[str, Any] | None = None,
    weights_dir: str | os.PathLike = WEIGHTS_DIR,
) -> tuple[Path, Path]:
    """Write ``<name>.pt`` and ``<name>.yaml`` (the metadata format of the module docstring).

    The weights are first built with the kind's builder (a mismatch fails here, not at the user's
    first load); ``half`` stores floating-point tensors as float16. ``config`` is the run's resolved
    config (its paths are made relative with :func:`relative_paths`); ``extra`` adds kind-specific
    keys. Returns the two paths.
    """
    _builder(kind)(architecture, {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()})
    weights_dir = Path(weights_dir)
    weights_file, meta_file = weights_dir / f"{name}.pt", weights_dir / f"{name}.yaml"
    state = {k: v.half() if half and v.is_floating_point() else v for k, v in state_dict.items()}
    meta = {
        "kind": kind,
        "description": description,
        "architecture": dict(architecture),
        **relative_paths(dict(extra or {})),
        "steps": int(steps),
        "train_seconds": None if train_seconds is None else round(float(train_seconds), 1),
        "metrics": dict(metrics),
        "command": command,
        "machine": machine,
        "date": date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "dtype": "float16" if half else "float32",
        "config": relative_paths(config),
    }
    with atomic_write(weights_file) as tmp:
        torch.save(state, tmp)
    with atomic_write(meta_file) as tmp:
        tmp.write_text(yaml.safe_dump(json.loads(json.dumps(meta)), sort_keys=False))  # plain types, no anchors
    return weights_file, meta_file
