"""One settings object: flags over DOSSIER_* variables over the TOML file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.settings import Settings

from conftest import run_cli


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "dossier.toml"
    config.write_text('data_dir = "from-file"\nmode = "lexical"\nport = 9001\n', encoding="utf-8")
    monkeypatch.setenv("DOSSIER_CONFIG", str(config))
    assert Settings().mode == "lexical" and Settings().port == 9001
    monkeypatch.setenv("DOSSIER_DATA_DIR", "from-env")
    monkeypatch.setenv("DOSSIER_CORS_ORIGINS", '["http://a.example"]')
    settings = Settings()
    assert settings.data_dir == Path("from-env") and settings.cors_origins == ["http://a.example"]
    assert Settings(data_dir=Path("from-flag")).data_dir == Path("from-flag")
    assert Settings(data_dir=Path("x")).manual_dir == Path("x") / "manual"


def test_bad_settings_are_cli_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOSSIER_PASSAGE_CHARS", "tiny")
    code, output = run_cli("sources", "--data-dir", str(tmp_path))
    assert code == 1 and "passage_chars" in output and "Traceback" not in output
    monkeypatch.delenv("DOSSIER_PASSAGE_CHARS")
    monkeypatch.setenv("DOSSIER_CONFIG", str(tmp_path / "missing.toml"))
    code, output = run_cli("sources", "--data-dir", str(tmp_path))
    assert code == 1 and "missing.toml" in output
    typo = tmp_path / "typo.toml"
    typo.write_text('modle = "x"\n', encoding="utf-8")
    monkeypatch.setenv("DOSSIER_CONFIG", str(typo))
    code, output = run_cli("sources", "--data-dir", str(tmp_path))
    assert code == 1 and "modle" in output


def test_malformed_variables_and_files_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSSIER_CORS_ORIGINS", "http://a.example")  # a list is JSON
    code, output = run_cli("sources", "--data-dir", str(tmp_path))
    assert code == 1 and "cors_origins" in output and "Traceback" not in output
    monkeypatch.delenv("DOSSIER_CORS_ORIGINS")
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n", encoding="utf-8")
    monkeypatch.setenv("DOSSIER_CONFIG", str(broken))
    code, output = run_cli("sources", "--data-dir", str(tmp_path))
    assert code == 1 and "broken.toml" in output and "line 1" in output
    monkeypatch.delenv("DOSSIER_CONFIG")
    monkeypatch.setenv("dossier_mode", "dense")  # names are matched in any case
    assert Settings().mode == "dense"
