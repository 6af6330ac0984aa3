"""The CLIs' one module for run records, and their one error handling."""

import datetime
import json

import pytest
import torch

from stylist.cli import user_errors_exit, user_errors_status
from stylist.cli.records import machine_info, machine_line, run_record, write_record
from stylist.utils import StylistError, cpu_has_fast_bf16

COMMON = {"seconds_total", "command", "overrides", "settings", "machine", "date"}


def test_run_record_has_the_common_fields(compose_cfg):
    cfg = compose_cfg("stylize", ["size=64", "loss.style_weight=5"])
    record = run_record(cfg, seconds_total=1.5, output="out.png", final_losses={"total": 2.0})
    assert COMMON | {"output", "final_losses"} == set(record) and list(record)[:2] == ["output", "final_losses"]
    assert record["overrides"] == ["size=64", "loss.style_weight=5"] and isinstance(record["command"], str)
    assert record["settings"]["size"] == 64 and record["settings"]["loss"]["style_weight"] == 5  # resolved config
    assert record["machine"]["torch_threads"] == torch.get_num_threads() and record["machine"]["torch"] == torch.__version__
    assert {"processor", "cpus", "python"} <= set(record["machine"])
    assert datetime.datetime.fromisoformat(record["date"]).utcoffset() == datetime.timedelta(0)
    assert record["seconds_total"] == 1.5
    assert run_record(cfg, seconds_total=0.0, settings={"edited": True})["settings"] == {"edited": True}


def test_machine_info_says_load_and_bf16_and_machine_line_formats_it():
    info = machine_info()
    assert info["native_bf16"] == cpu_has_fast_bf16() and isinstance(info["load_average"], float)
    assert info["load_average"] == round(info["load_average"], 1) and info["processor"]
    line = machine_line(info)
    assert info["processor"] in line and f"{info['cpus']} cores" in line and "bf16" in line
    assert "load average" in machine_line() and "load average" not in machine_line(info, load_average=False)


def test_write_record_is_strict_json_and_leaves_no_temporary(tmp_path):
    path = write_record(tmp_path / "run.json", {"output": "x.png", "iou": {"bag": float("nan")}, "values": [1.0, float("nan")]})
    assert json.loads(path.read_text(), parse_constant=pytest.fail) == {"output": "x.png", "iou": {"bag": None},
                                                                         "values": [1.0, None]}  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def _fails(error: Exception):
    def command(argv=None):
        raise error

    return command


def test_user_errors_are_one_line_and_status_two_bugs_propagate(capsys):
    with pytest.raises(SystemExit) as info:
        user_errors_exit(_fails(StylistError("size must be positive")))()
    assert info.value.code == 2 and capsys.readouterr().err == "error: size must be positive\n"
    assert user_errors_status(_fails(FileNotFoundError("no such file: x.png")))([]) == 2
    assert capsys.readouterr().err == "error: no such file: x.png\n"
    with pytest.raises(ZeroDivisionError):
        user_errors_status(_fails(ZeroDivisionError("a bug")))([])


def test_run_config_resolves_only_the_parts_asked_for_outside_hydra(tmp_path):
    from stylist.cli import run_config

    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "config.yaml").write_text(
        "paths: {data_dir: /data}\n"
        "data: {root: '${paths.data_dir}/photos'}\n"
        "trainer: {default_root_dir: '${hydra:runtime.output_dir}', max_steps: 5}\n"
        "callbacks: {model_checkpoint: {dirpath: '${hydra:runtime.output_dir}/checkpoints'}}\n"
        "seed: 7\n"
    )
    config = run_config(tmp_path, ("data", "trainer", "seed", "loss"))
    assert config == {"data": {"root": "/data/photos"}, "trainer": {"default_root_dir": str(tmp_path), "max_steps": 5}, "seed": 7}
