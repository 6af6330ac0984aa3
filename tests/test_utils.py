import os

import pytest
import torch

from stylist.utils import StylistError, atomic_write, cache_dir, seed_everything, sha256_of_file


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_write(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_atomic_write_gives_the_umasks_permissions_not_a_temp_files(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "result.json") as tmp:
            tmp.write_text("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "result.json").stat().st_mode & 0o777 == 0o644


def test_seed_everything_repeats():
    seed_everything(3)
    a = torch.rand(4)
    seed_everything(3)
    assert torch.equal(a, torch.rand(4))



@pytest.mark.parametrize("seed", ["abc", -1, 1.5])
def test_seed_everything_refuses_what_is_not_a_seed(seed):
    with pytest.raises(StylistError, match="seed must be a whole number >= 0"):
        seed_everything(seed)

def test_cache_dir_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_sha256_of_file(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    assert sha256_of_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert os.path.getsize(path) == 3
