from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.cli import main

ROWS = [
    ("a1", "my neighbours have been playing loud music every night"),
    ("a2", "can I talk to a person please"),
    ("a3", "I lost my wallet in town"),
]


def _csv(tmp_path: Path, rows=ROWS, header="id,text") -> Path:
    import csv

    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(header + "\n")
        w = csv.writer(fh)
        for r in rows:
            w.writerow(r)
    return path


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))


def test_triage_jsonl_prints_required_fields(tmp_path, capsys):
    assert main(["triage", "--format", "jsonl", str(_csv(tmp_path))]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert {"id", "emergency", "handover", "intent", "risk_level", "queue", "reasons"} <= set(row)
        assert isinstance(row["emergency"], bool) and isinstance(row["handover"], bool)
        assert row["intent"] is None or isinstance(row["intent"], str)
        assert isinstance(row["reasons"], list)
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    assert rows[1]["handover"] is True and rows[1]["queue"]


def test_triage_jsonl_input_and_stdin(tmp_path, capsys, monkeypatch):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in ROWS) + "\n", encoding="utf-8")
    assert main(["triage", "--format", "jsonl", str(path)]) == 0
    from_file = capsys.readouterr().out
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert main(["triage", "--format", "jsonl", "-"]) == 0
    assert capsys.readouterr().out == from_file


def test_triage_table_is_readable(tmp_path, capsys):
    assert main(["triage", str(_csv(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "risk", "999", "human", "intent", "queue", "why"]
    assert "3 messages:" in out


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "file is empty"),
        (b"id,txt\n1,hello\n", "missing 'text' column"),
        (b"id,text\n1,caf\xe9\n", "not UTF-8"),
        (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', "invalid JSON"),
        (b'{"id": 1, "body": "ok"}\n', "missing 'text' field"),
    ],
)
def test_triage_bad_input_is_one_line_exit_2(tmp_path, capsys, content, expected):
    suffix = ".jsonl" if content.startswith(b"{") else ".csv"
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    assert main(["triage", "--format", "jsonl", str(path)]) == 2
    captured = capsys.readouterr()
    err_lines = captured.err.strip().splitlines()
    assert len(err_lines) == 1
    assert expected in err_lines[0] and str(path) in err_lines[0]
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_triage_error_line_number(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\nnot json\n', encoding="utf-8")
    assert main(["triage", str(path)]) == 2
    assert f"{path}:3: invalid JSON" in capsys.readouterr().err


def test_triage_output_file_is_not_half_written(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,text\n1,ok\n2,caf\xe9\n")
    assert main(["triage", "--format", "jsonl", "-o", str(out), str(bad)]) == 2
    assert not out.exists()
    assert list(tmp_path.glob(".out.jsonl.*")) == []
    assert main(["triage", "--format", "jsonl", "-o", str(out), str(_csv(tmp_path))]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_unknown_disabled_plugin_is_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_DISABLE_PLUGINS", "risk_keyword")
    assert main(["plugins"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("switchboard: error: plugin 'risk_keyword'") and "\n" not in err


def test_bad_config_names_file_and_key(tmp_path, capsys):
    cfg = tmp_path / "force.toml"
    cfg.write_text('[force]\nid = "x"\nname = "X"\n[limits]\nmax_text_chars = "many"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "plugins"]) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "limits.max_text_chars" in err


def test_plugins_command_lists_builtins_from_entry_points(capsys):
    assert main(["plugins"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {p["name"]: p for p in data["plugins"]}
    for name in ("risk_keywords", "risk_ml", "office_hours", "queues", "escalation"):
        assert by_name[name]["distribution"] == "switchboard"
        assert by_name[name]["source"].startswith(f"switchboard.plugins.{name}.")
    assert "decide_escalation" in by_name["escalation"]["hooks"]


def test_console_script_is_installed(tmp_path):
    exe = Path(sys.executable).with_name("switchboard")
    result = subprocess.run([str(exe), "triage", "--format", "jsonl", str(_csv(tmp_path))],
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "SWITCHBOARD_DATA_DIR": str(tmp_path / "d")})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 3


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["triage", "--format", "xml", "x.csv"])
    assert exc.value.code == 2


def test_triage_reads_quoted_csv_and_tsv(tmp_path, capsys):
    path = tmp_path / "quoted.csv"
    path.write_text('id,text\n1,"An ""advisor"" cold called me, I can\'t get it out now"\n2,"line one\nline two"\n',
                    encoding="utf-8")
    assert main(["triage", "--format", "jsonl", str(path)]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["1", "2"]
    tsv = tmp_path / "in.tsv"
    tsv.write_text("id\ttext\nt1\tlost my keys, in town\n", encoding="utf-8")
    assert main(["triage", "--format", "jsonl", str(tsv)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "t1"


def test_settled_heap_sets_loaded_objects_aside_only_for_the_batch():
    import gc

    from switchboard.cli import settled_heap

    before = gc.get_freeze_count()
    with settled_heap():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0
