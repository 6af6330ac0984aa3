"""stylist.utils with bad inputs: outputs checked before long work, model files read with one-line errors, one weight
check, atomic writes that leave no temporaries for readers to trip on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import yaml

from stylist.utils import (
    StylistError,
    atomic_write,
    check_number,
    check_writable,
    is_temporary,
    load_torch_file,
    normalised_weights,
)


def test_check_writable_creates_missing_folders_and_leaves_nothing(tmp_path):
    target = tmp_path / "a" / "b" / "out.png"
    assert check_writable(target) == target
    assert target.parent.is_dir() and list(target.parent.iterdir()) == []


def test_output_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(StylistError, match="cannot write .*notes.txt/out.png: a parent is a file"):
        check_writable(tmp_path / "notes.txt" / "out.png")
    with pytest.raises(StylistError, match="is a folder"):
        check_writable(tmp_path)


def test_output_in_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root ignores permission bits: use a folder the kernel refuses
        folder = Path("/sys")
        if not folder.is_dir() or not _refuses_files(folder):
            pytest.skip("no read-only folder available to this user")
    with pytest.raises(StylistError, match=f"cannot write {folder}/out.png"):
        check_writable(folder / "out.png")


def _refuses_files(folder: Path) -> bool:
    try:
        (folder / ".stylist_probe").touch()
    except OSError:
        return True
    (folder / ".stylist_probe").unlink()
    return False


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_model_file_is_one_line_naming_it(tmp_path, weights_only, damage):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.zeros(1000)}, path)
    path.write_bytes(path.read_bytes()[:200] if damage == "truncated" else b"not a model" * 50)
    with pytest.raises(StylistError, match=f"cannot read model file {path}") as info:
        load_torch_file(path, weights_only=weights_only)
    assert "\n" not in str(info.value) and "weights_only" not in str(info.value)


def test_model_file_reads_back_and_missing_file_is_named(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(3)}, path)
    assert torch.equal(load_torch_file(path)["weight"], torch.ones(3))
    with pytest.raises(StylistError, match="model file not found"):
        load_torch_file(tmp_path / "none.pt")


def test_normalised_weights():
    assert normalised_weights([3, 1], 2) == [0.75, 0.25]
    assert normalised_weights(None, 4) == [0.25] * 4
    assert normalised_weights({"a": 1.0, "b": 1.0}, 2) == [0.5, 0.5]
    for bad in ([1.5, -0.5], [1.0], [0, 0], [1.0, float("nan")], ["a", 1]):
        with pytest.raises(StylistError, match="style_blend"):
            normalised_weights(bad, 2, "style_blend")


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_removes_its_temporary_when_interrupted(tmp_path, interruption):
    (tmp_path / "record.json").write_text("{}")
    with pytest.raises(interruption):
        with atomic_write(tmp_path / "record.json") as tmp:
            assert is_temporary(tmp) and tmp.suffix == ".json"
            tmp.write_text('{"half": ')
            raise interruption
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]
    assert (tmp_path / "record.json").read_text() == "{}"


def test_is_temporary_only_for_atomic_write_names(tmp_path):
    with atomic_write(tmp_path / "x.yaml") as tmp:
        assert is_temporary(tmp)
    assert not is_temporary(tmp_path / "x.yaml") and not is_temporary(tmp_path / ".hydra")


def test_shipped_model_list_skips_leftover_temporaries(tmp_path, monkeypatch):
    from stylist.models import shipped

    (tmp_path / "good.yaml").write_text(yaml.safe_dump({"kind": "johnson"}))
    (tmp_path / ".good.k2j3.tmp.yaml").write_text("kind: [unfinished")  # a killed ship() leaves this
    assert list(shipped(tmp_path)) == ["good"]


@pytest.mark.parametrize("value", ["abc", True, -0.1, 1.0, float("nan")])
def test_check_number_refuses_what_is_not_a_number_in_range(value):
    with pytest.raises(StylistError, match=r"temporal must be a number in \[0, 1\), got"):
        check_number("temporal", value, 0, 1)
    assert check_number("temporal", 0.5, 0, 1) == 0.5 and check_number("weight", 1e9, 0) == 1e9
