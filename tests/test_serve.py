from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit import serve

ROOT = Path(__file__).resolve().parents[1]


def test_index_lists_apps_in_their_order_with_chinese_titles_then_folders() -> None:
    entries = serve.listing(ROOT / "notebooks")
    assert [(e["type"], e["title"]) for e in entries] == [
        ("notebook", "年度考核评分"),
        ("notebook", "考核结果"),
        ("notebook", "巡察组织"),
        ("notebook", "巡察整改"),
        ("directory", "分析笔记本"),
    ]
    assert entries[0]["lead"].startswith("录入各单位")


def test_voila_listens_on_loopback_only_with_our_template_and_a_token(tmp_path: Path) -> None:
    command = serve.voila_command(tmp_path, port=8123, preheat=True, token="t0k")
    assert "--Voila.ip=127.0.0.1" in command
    assert "--template=kit" in command
    assert "--token=t0k" in command
    assert "--preheat_kernel=True" in command
    assert (serve.SHARE / "jupyter" / "voila" / "templates" / "kit" / "conf.json").is_file()
    assert (serve.SHARE / "voila" / "voila.py").is_file()


def test_server_gets_the_database_as_an_absolute_path() -> None:
    env = serve.server_env(Path("data") / "x.duckdb")
    assert Path(env["KIT_DB"]).is_absolute()
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(serve.SHARE / "jupyter")


def test_behind_a_proxy_only_the_user_header_reaches_kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_X_KIT_USER", "someone")  # must not stand in for a missing header
    assert not any("http_header_envs" in arg for arg in serve.voila_command(tmp_path, port=1, preheat=True, token="t"))
    monkeypatch.setenv("KIT_AUTH", "header")
    command = serve.voila_command(tmp_path, port=1, preheat=True, token="t")
    assert '--VoilaConfiguration.http_header_envs=["X-Kit-User"]' in command
    assert "HTTP_X_KIT_USER" not in serve.server_env(tmp_path / "x.duckdb")
