"""Settings from flags, env and config files onto the one Config, with where each came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.config import load_config
from picoagent.errors import ConfigError


@pytest.fixture(autouse=True)
def no_user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("PICOAGENT_MODEL", "PICOAGENT_SANDBOX", "PICOAGENT_RUNS_DIR", "PICOAGENT_TOOLSETS", "PICOAGENT_MAX_STEPS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "xdg" / "picoagent" / "config.toml"


def test_defaults_and_the_current_directory(tmp_path: Path) -> None:
    config, sources = load_config(cwd=tmp_path)
    assert config.max_steps == 20 and sources["max_steps"] == "default"
    assert config.workspace == tmp_path and sources["workspace"] == "default: the current directory"


def test_paths_in_a_file_are_relative_to_it_and_fresh_stays_fresh(tmp_path: Path, no_user_file: Path) -> None:
    no_user_file.parent.mkdir(parents=True)
    no_user_file.write_text('runs_dir = "traces"\nworkspace = "fresh"\n')
    config, sources = load_config(cwd=tmp_path)
    assert config.runs_dir == no_user_file.parent / "traces" and sources["runs_dir"] == str(no_user_file)
    assert config.workspace == "fresh"
    (tmp_path / "picoagent.toml").write_text('workspace = "~/work"\n')
    assert load_config(cwd=tmp_path)[0].workspace == Path.home() / "work"


def test_env_lists_are_comma_separated_and_flags_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICOAGENT_TOOLSETS", "web, other")
    monkeypatch.setenv("PICOAGENT_MAX_STEPS", "9")
    config, sources = load_config({"max_steps": 3, "model": None}, cwd=tmp_path)
    assert config.toolsets == ["web", "other"] and sources["toolsets"] == "env PICOAGENT_TOOLSETS"
    assert config.max_steps == 3 and sources["max_steps"] == "flag"
    assert sources["model"] == "default", "a flag left out (None) is no flag"


def test_a_bad_env_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICOAGENT_MAX_STEPS", "many")
    with pytest.raises(ConfigError, match=r"invalid setting max_steps \(env PICOAGENT_MAX_STEPS\): Input should be a valid integer"):
        load_config(cwd=tmp_path)


def test_a_table_or_unreadable_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "picoagent.toml").write_text("[limits]\nmax_steps = 3\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'limits'"):
        load_config(cwd=tmp_path)
    (tmp_path / "picoagent.toml").write_bytes(b"model = '\xff'\n")
    with pytest.raises(ConfigError, match=r"cannot read .*picoagent.toml"):
        load_config(cwd=tmp_path)
