import json

import pytest
import torch
import yaml

from stylist.cli.sweep import assemble_sweep, main
from stylist.image import save_image
from stylist.utils import StylistError


def _fake_job(sweep, num, overrides, total, in_record=False):
    """A finished job; its overrides in ``.hydra/overrides.yaml`` (an old record) or, with
    ``in_record``, only in the run record's ``overrides`` field."""
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    if not in_record:
        (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    save_image(torch.full((1, 3, 20, 20), num / 10), job / "stylized.png")
    record = {"output": str(job / "stylized.png"), "final_losses": {"total": total}, "seconds_total": 1.0}
    if in_record:
        record["overrides"] = overrides
    (job / "stylized.json").write_text(json.dumps(record))


def test_sheet_rows_and_columns_follow_swept_keys(tmp_path):
    for num, (w, layer) in enumerate([(a, b) for a in ("0.1", "1") for b in ("[relu2_2]", "[relu4_2]", "[relu5_2]")]):
        _fake_job(tmp_path, num, ["size=32", f"loss.content_weight={w}", f"loss.content_layers={layer}"], num + 1.0)
    sheet, table = assemble_sweep(tmp_path, cell=20)
    lines = table.read_text().splitlines()
    assert lines[0].startswith("job,loss.content_weight,loss.content_layers,final_total")
    assert len(lines) == 7
    from PIL import Image

    image = Image.open(sheet)
    assert image.width > 3 * 20 and image.height > 2 * 20 and image.height < 3 * 20 + 60


def test_empty_sweep_is_an_error(tmp_path):
    with pytest.raises(StylistError, match="no finished"):
        assemble_sweep(tmp_path)
    assert main([str(tmp_path)]) == 2


def test_leftover_temporaries_and_partial_records_are_skipped(tmp_path):
    _fake_job(tmp_path, 0, ["size=32", "loss.style_weight=1"], 1.0)
    _fake_job(tmp_path, 1, ["size=32", "loss.style_weight=10"], 2.0)
    (tmp_path / "0" / ".stylized.x8k2.tmp.json").write_text('{"output": "/nowhere", "final_')  # a killed write
    (tmp_path / "1" / "stylized.json").write_text('{"output": ')  # written by something non-atomic
    with pytest.warns(UserWarning, match="not valid JSON"):
        _, table = assemble_sweep(tmp_path, cell=20)
    rows = table.read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("0,")


def test_overrides_come_from_the_record_and_else_from_hydra(tmp_path):
    _fake_job(tmp_path, 0, ["size=32", "loss.style_weight=1"], 1.0)  # an old record: .hydra/overrides.yaml
    _fake_job(tmp_path, 1, ["size=32", "loss.style_weight=10"], 2.0, in_record=True)
    _fake_job(tmp_path, 2, ["size=32", "loss.style_weight=100"], 3.0, in_record=True)
    (tmp_path / "2" / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["size=32", "loss.style_weight=5"]))
    _, table = assemble_sweep(tmp_path, cell=20)
    rows = table.read_text().splitlines()
    assert rows[0].startswith("job,loss.style_weight,final_total")
    assert [row.split(",")[:2] for row in rows[1:]] == [["0", "1"], ["1", "10"], ["2", "100"]]  # the record wins
