"""Hydra entry points. Only this package touches Hydra and ``DictConfig``.

Each command composes its config from ``conf/``, instantiates objects, runs library code, writes a
run record (:mod:`stylist.cli.records`) and turns :class:`~stylist.utils.StylistError` into one
line on stderr and exit status 2 (:func:`user_errors_exit`; every ``python -m stylist.<command>``,
the argparse ones included, goes through it or :func:`user_errors_status`).
"""

from __future__ import annotations

import collections.abc
import functools
import logging
import sys
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, ParamSpec, Sequence, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue

from stylist.utils import StylistError

if TYPE_CHECKING:
    from stylist.methods import Method

__all__ = ["REPO_ROOT", "CONFIG_DIR", "USER_ERROR_STATUS", "user_error", "user_errors_exit", "user_errors_status", "plain",
           "run_config", "build_method", "check_options", "instantiate_method"]  # fmt: skip

P = ParamSpec("P")
R = TypeVar("R")

#: The exit status of a user error (a bad option, a missing file, ...).
USER_ERROR_STATUS = 2

_SOURCE = Path(__file__).resolve().parents[2]
if (_SOURCE / "pyproject.toml").is_file() and (_SOURCE / "conf").is_dir():  # a source checkout (or editable install)
    REPO_ROOT, CONFIG_DIR = _SOURCE, str(_SOURCE / "conf")
else:  # a regular install: conf/ is package data (stylist/conf, see setup.py); runs write under the current folder
    REPO_ROOT, CONFIG_DIR = Path.cwd(), str(Path(__file__).resolve().parents[1] / "conf")

if not OmegaConf.has_resolver("repo_root"):
    OmegaConf.register_new_resolver("repo_root", lambda: str(REPO_ROOT))


def _cpu_bf16(if_fast: Any, otherwise: Any) -> Any:
    """``${cpu_bf16:bf16-mixed,32-true}``: the first value on a CPU with native bf16, else the second."""
    from stylist.utils import cpu_has_fast_bf16

    return if_fast if cpu_has_fast_bf16() else otherwise


if not OmegaConf.has_resolver("cpu_bf16"):
    OmegaConf.register_new_resolver("cpu_bf16", _cpu_bf16)

#: How each kind of shipped model is chosen on the command line.
MODEL_KEYS = {
    "johnson": "method=johnson method.model={name} (fashion: style={name})",
    "johnson_multi": "method=johnson method.model={name} style_mix=NAME or style_mix=\"{{NAME: 0.7, ...}}\"",
    "wct": "method=wct method.model={name} (or method=photowct)",
    "deeplab": "segmenter={name} (fashion), checkpoint={name} (segment, evaluate)",
}


def shipped_models_help() -> str:
    """``${shipped_models:}`` (the ``--help`` footer): one line per shipped model, with the key that
    loads it by name."""
    from stylist.models import shipped

    lines = []
    for name, meta in sorted(shipped().items()):
        kind = str(meta.get("kind")) + ("_multi" if meta.get("styles") else "")
        key = MODEL_KEYS.get(kind, "stylist.models.load_model('{name}')").format(name=name)
        styles = meta.get("styles") or ([meta["style"]] if meta.get("style") else [])
        lines.append(f"  {name:<28} {key}" + (f"  [{', '.join(styles)}]" if styles else ""))
    return "\n".join(lines) or "  (none)"


if not OmegaConf.has_resolver("shipped_models"):
    OmegaConf.register_new_resolver("shipped_models", shipped_models_help)


def user_error(err: BaseException) -> str | None:
    """The one-line message of a user error, or ``None`` for a bug.

    User errors are :class:`StylistError`, ``FileNotFoundError`` and a mandatory option left
    unset (``???``), also when Hydra or OmegaConf wrap them (an error raised while instantiating a
    ``_target_`` or resolving an interpolation).
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (StylistError, FileNotFoundError)):
            return str(current)
        if isinstance(current, MissingMandatoryValue):
            key = current.full_key or current.key
            return f"missing value for '{key}': give it on the command line, e.g. {key}=..."
        current = current.__cause__
    return None


def _report_user_error(err: BaseException) -> bool:
    """Print a user error's one line (``error: ...``) on stderr; ``False`` (nothing printed) for a bug."""
    message = user_error(err)
    if message is not None:
        print(f"error: {message}", file=sys.stderr)
    return message is not None


def user_errors_exit(task: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command (a Hydra task or an argparse ``main``) so that user errors (:func:`user_error`)
    print one line and exit with status 2; warnings go to the log."""

    @functools.wraps(task)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        logging.captureWarnings(True)
        try:
            return task(*args, **kwargs)
        except Exception as err:
            if not _report_user_error(err):
                raise
            raise SystemExit(USER_ERROR_STATUS) from None

    return wrapped


def user_errors_status(main: Callable[P, int]) -> Callable[P, int]:
    """Wrap an argparse ``main`` that returns its exit status (``raise SystemExit(main())``) so that
    user errors print one line and return status 2."""

    @functools.wraps(main)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except Exception as err:
            if not _report_user_error(err):
                raise
            return USER_ERROR_STATUS

    return wrapped


def plain(cfg: Any) -> Any:
    """A resolved plain-Python copy of a config node (lists and dicts), or the value itself."""
    return OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else cfg


def run_config(run_dir: str | Path, keys: Sequence[str]) -> dict[str, Any]:
    """The parts ``keys`` of a finished training run's config (``<run_dir>/.hydra/config.yaml``),
    resolved outside a Hydra run: ``trainer.default_root_dir`` (``${hydra:runtime.output_dir}``) is
    ``run_dir``; only the parts asked for are resolved (callbacks and loggers interpolate other
    ``${hydra:...}`` keys); keys the run does not have are left out."""
    raw = OmegaConf.load(Path(run_dir) / ".hydra" / "config.yaml")
    if "trainer" in raw:
        raw.trainer.default_root_dir = str(run_dir)
    return {key: plain(raw[key]) for key in keys if key in raw}


_SCALARS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _fits(value: Any, hint: Any) -> bool | None:
    """Whether ``value`` fits the annotation ``hint``; ``None`` when ``hint`` is not one that is checked
    (scalars, optionals, unions and sequences of them are)."""
    if hint in _SCALARS:
        if hint is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        return isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return type(None) in args
        verdicts = [_fits(value, arg) for arg in args if arg is not type(None)]
        return True if True in verdicts else None if None in verdicts else False
    if isinstance(origin, type) and issubclass(origin, collections.abc.Mapping):
        return isinstance(value, collections.abc.Mapping)  # the entries are not checked
    if isinstance(origin, type) and issubclass(origin, collections.abc.Sequence):  # list, tuple, Sequence
        if not isinstance(value, (list, tuple)):
            return False
        item = args[0] if args else Any
        verdicts = [_fits(element, item) for element in value]
        return None if None in verdicts else all(verdicts)
    return None


def _describe(hint: Any) -> str:
    if hint in _SCALARS:
        return _SCALARS[hint]
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in args) + (" (or null)" if type(None) in typing.get_args(hint) else "")
    origin = typing.get_origin(hint)
    if isinstance(origin, type) and issubclass(origin, collections.abc.Mapping):
        return "a mapping"
    return f"a list, each item {_describe(args[0])}" if args else "a list"


def check_options(target: Callable[..., Any], options: Mapping[str, Any], prefix: str) -> None:
    """Raise :class:`StylistError` naming ``prefix.key`` when an option's value does not fit the type
    annotation of ``target``'s parameter of that name (``method.alpha=abc``, ``method.bf16=maybe``),
    before any work starts. Scalars (bool, int, float, str), optionals, unions and lists of them are
    checked; other annotations (modules, callables) and unannotated parameters are not."""
    try:
        hints = typing.get_type_hints(target.__init__ if isinstance(target, type) else target)
    except Exception:  # an annotation that cannot be resolved here: nothing to check against
        return
    for key, value in options.items():
        if key in hints and _fits(value, hints[key]) is False:
            raise StylistError(f"{prefix}.{key} must be {_describe(hints[key])}, got {value!r}")


def instantiate_method(node: Any, **objects: Any) -> "Method":
    """``hydra.utils.instantiate`` of a ``method`` config node, after :func:`check_options` against the
    method's constructor and, for ``**options`` passed on, the function named by its ``options_of``."""
    from hydra.utils import get_class, get_method, instantiate

    method, options = get_class(node._target_), plain(node)
    check_options(method, options, "method")
    if getattr(method, "options_of", None):
        check_options(get_method(method.options_of), options, "method")
    return instantiate(node, **objects)


def build_method(name: str, overrides: Sequence[str] = (), **objects: Any) -> "Method":
    """A :class:`~stylist.methods.Method` from ``conf/method/<name>.yaml`` as ``python -m stylist.stylize
    method=<name> <overrides>`` builds it (with that config's backbone and loss); ``objects``
    replace keys by ready objects (e.g. ``backbone=encoder`` to share one encoder).

    Example:
        >>> gatys = build_method("gatys", ["method.iterations=50", "loss.style_weight=1e5"])  # doctest: +SKIP
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="stylize", overrides=[f"method={name}", *overrides])
    return instantiate_method(cfg.method, **{key: value for key, value in objects.items() if key in cfg.method})
