from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.config import DEMO_CONFIG, load_settings
from switchboard.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "force.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _demo_with(tmp_path: Path, extra: str) -> Path:
    return _write(tmp_path, DEMO_CONFIG.read_text(encoding="utf-8") + "\n" + extra)


def test_demo_config_loads_with_defaults():
    s = load_settings(environ={})
    assert s.force_id == "demo"
    assert s.languages == ["en", "cy"]
    assert s.section("limits")["max_text_chars"] == 2000
    assert s.text("greeting").startswith("Hello, you're chatting with Demo Constabulary")
    assert s.text("greeting", "cy").startswith("Helo")


def test_unknown_section_names_file_and_suggests(tmp_path):
    path = _demo_with(tmp_path, "[limts]\nmax_text_chars = 5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert err.value.path == str(path)
    assert err.value.key == "limts"
    assert "did you mean 'limits'" in str(err.value)


def test_unknown_key_in_core_section(tmp_path):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("max_text_chars = 2000", "max_text_char = 2000")
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, text), environ={})
    assert err.value.key == "limits.max_text_char"
    assert "max_text_chars" in str(err.value)


def test_wrong_type_is_reported_with_key(tmp_path):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("port = 8000", 'port = "eighty"')
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, text), environ={})
    assert err.value.key == "server.port"
    assert "integer" in str(err.value)


def test_missing_required_text_for_a_language(tmp_path):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace('clarify = "Mae', 'clarifi = "Mae')
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, text), environ={})
    assert err.value.key == "texts.cy.clarify"


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(_write(tmp_path, "[force\nid="), environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_bad_crime_reference_regex(tmp_path):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(r"'\bCRN\s?\d{8}\b'", "'(unclosed'")
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, text), environ={})
    assert err.value.key == "force.crime_reference_patterns[2]"


def test_environment_overrides_file_values():
    env = {
        "SWITCHBOARD_LIMITS__MAX_TEXT_CHARS": "3000",
        "SWITCHBOARD_DATA_DIR": "/tmp/sb-data",
        "SWITCHBOARD_DISABLE_PLUGINS": "guidance, journeys",
        "SWITCHBOARD_FORCE__NAME": "Test Police",
    }
    s = load_settings(environ=env)
    assert s.section("limits")["max_text_chars"] == 3000
    assert s.data_dir == Path("/tmp/sb-data")
    assert s.disabled_plugins == {"guidance", "journeys"}
    assert s.force_name == "Test Police"
    assert "Test Police" in s.text("greeting")


def test_environment_override_is_validated():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"SWITCHBOARD_LIMITS__MAX_TEXT_CHARS": "lots"})
    assert err.value.key == "limits.max_text_chars"
    with pytest.raises(ConfigError, match="unknown environment variable"):
        load_settings(environ={"SWITCHBOARD_DATADIR": "/tmp"})


def test_threshold_range(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"SWITCHBOARD_THRESHOLDS__INTENT_CONFIDENCE": "1.5"})
    assert err.value.key == "thresholds.intent_confidence"


def test_texts_fall_back_to_english_format_and_report_missing_keys(tmp_path):
    s = load_settings(environ={
        "SWITCHBOARD_TEXTS__EN__PLAIN_NOTE": "No braces here",
        "SWITCHBOARD_TEXTS__EN__BRACED_NOTE": "{force}: {{literal}} {queue}",
        "SWITCHBOARD_TEXTS__EN__ENGLISH_ONLY": "Only in English",
    })
    for _ in range(2):  # the second answer comes from the looked-up sentence
        assert s.text("plain_note") == "No braces here"
        assert s.text("braced_note", queue="Q1") == "Demo Constabulary: {literal} Q1"
        assert s.text("braced_note") == "Demo Constabulary: {literal} {queue}"
        assert s.text("braced_note", queue="Q2") == "Demo Constabulary: {literal} Q2"
        assert s.text("braced_note", queue=1) == "Demo Constabulary: {literal} 1"
        assert s.text("braced_note", queue=True) == "Demo Constabulary: {literal} True"  # 1 == True
        assert s.text("english_only", "cy") == "Only in English"
        assert s.has_text("english_only") and not s.has_text("english_only", "cy")
        assert s.has_text("intents.crime_report") and not s.has_text("intents.no_such_intent")
        with pytest.raises(ConfigError) as err:
            s.text("no_such_text", "cy")
        assert err.value.key == "texts.cy.no_such_text"
