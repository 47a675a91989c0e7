from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit import config, serve
from kit.service import tokens

ROOT = Path(__file__).resolve().parents[1]


def test_index_lists_apps_in_their_order_with_chinese_titles_then_folders() -> None:
    entries = serve.listing(ROOT / "notebooks", roles=frozenset({"analyst"}))
    assert [(e["type"], e["title"]) for e in entries] == [
        ("notebook", "年度考核评分"),
        ("notebook", "考核结果"),
        ("notebook", "巡察组织"),
        ("notebook", "巡察整改"),
        ("directory", "分析笔记本"),
    ]
    assert entries[0]["lead"].startswith("录入各单位")


class _Contents:
    root_dir = str(ROOT / "notebooks")


def _index(folder: str = "") -> list[tuple[str, str]]:
    config: dict[str, object] = {}
    serve.page_config_hook(config, "/", {"contents_manager": _Contents()}, None, None, folder)
    return [(e["type"], e["path"]) for e in config["kit"]["entries"]]  # type: ignore[index]


def test_the_analysis_notebooks_are_listed_only_to_an_analyst() -> None:
    apps = [("notebook", f"{name}.ipynb") for name in ("score_entry", "results", "rounds", "inspection")]
    analysis = [("notebook", "analysis/inspection_overview.ipynb"), ("notebook", "analysis/assessment_overview.ipynb")]
    assert _index() == apps  # nobody known: the page's roles were not set
    assert _index("analysis") == []
    for roles, folder_shown in ((frozenset({"entry", "review"}), False), (frozenset({"analyst"}), True)):
        token = serve.PAGE_ROLES.set(roles)
        try:
            assert _index() == apps + ([("directory", "analysis")] if folder_shown else [])
            assert _index("analysis") == (analysis if folder_shown else [])
        finally:
            serve.PAGE_ROLES.reset(token)


def test_voila_listens_on_loopback_only_with_our_template_and_a_token_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = serve.voila_command(tmp_path, port=8123, preheat=True)
    assert "--Voila.ip=127.0.0.1" in command
    assert "--template=kit" in command
    assert "--Voila.auto_token=True" in command
    assert not [arg for arg in command if "token=" in arg.lower() and "auto_token" not in arg]
    monkeypatch.setenv("KIT_TOKEN", "the-operators-token")
    monkeypatch.setenv("JUPYTER_TOKEN", "another-token")
    with serve.token_file("the-operators-token") as path:
        assert path.read_text(encoding="utf-8") == "the-operators-token"
        assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
        env = serve.server_env(tmp_path / "x.duckdb", "grpc+tcp://127.0.0.1:9", token_path=path)
    assert not path.exists()
    assert env["JUPYTER_TOKEN_FILE"] == str(path)
    assert "the-operators-token" not in " ".join(env.values())  # kernels inherit this environment
    assert "another-token" not in " ".join(env.values())
    assert "--preheat_kernel=True" in command
    assert (serve.SHARE / "jupyter" / "voila" / "templates" / "kit" / "conf.json").is_file()
    assert (serve.SHARE / "voila" / "voila.py").is_file()


def test_each_app_keeps_two_kernels_waiting_and_an_operator_can_change_how_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert serve.pool_settings() == (2, 3.0)
    assert "--pool_size=2" in serve.voila_command(tmp_path, port=8123, preheat=True)
    assert not [a for a in serve.voila_command(tmp_path, port=8123, preheat=False) if "pool" in a or "preheat" in a]
    monkeypatch.setenv("KIT_POOL_SIZE", "4")
    monkeypatch.setenv("KIT_POOL_REFILL_S", "0.5")
    assert serve.pool_settings() == (4, 0.5)
    assert "--pool_size=4" in serve.voila_command(tmp_path, port=8123, preheat=True)
    monkeypatch.setenv("KIT_POOL_SIZE", "0")  # preheating off: every page starts its own kernel
    assert not [a for a in serve.voila_command(tmp_path, port=8123, preheat=True) if "pool" in a or "preheat" in a]
    for size, refill in (("9", "61"), ("-1", "-2"), ("两个", "nan"), ("", "")):  # out of range or not numbers
        monkeypatch.setenv("KIT_POOL_SIZE", size)
        monkeypatch.setenv("KIT_POOL_REFILL_S", refill)
        assert serve.pool_settings() == (2, 3.0)


def test_server_gets_the_database_as_an_absolute_path_and_its_data_service() -> None:
    env = serve.server_env(Path("data") / "x.duckdb", "grpc+tcp://127.0.0.1:9")
    assert Path(env["KIT_DB"]).is_absolute()
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(serve.SHARE / "jupyter")
    assert (env["KIT_MODE"], env["KIT_SERVICE"]) == ("service", "grpc+tcp://127.0.0.1:9")


def test_behind_a_proxy_only_the_page_token_and_user_header_reach_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_X_KIT_USER", "someone")  # must not stand in for a missing header
    monkeypatch.setenv("HTTP_X_KIT_SESSION", "kit1.forged")
    command = serve.voila_command(tmp_path, port=1, preheat=True)
    assert '--VoilaConfiguration.http_header_envs=["X-Kit-Session"]' in command
    monkeypatch.setenv("KIT_AUTH", "header")
    command = serve.voila_command(tmp_path, port=1, preheat=True)
    assert '--VoilaConfiguration.http_header_envs=["X-Kit-Session", "X-Kit-User"]' in command
    env = serve.server_env(tmp_path / "x.duckdb", "grpc+tcp://127.0.0.1:9")
    assert "HTTP_X_KIT_USER" not in env
    assert "HTTP_X_KIT_SESSION" not in env
    assert "KIT_SESSION_TOKEN" not in env, "behind a proxy no kernel may act before its page's request"


def test_on_one_machine_kernels_act_as_the_operator_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    secret = tokens.load_or_create_secret(config.secret_path(path))
    env = serve.server_env(path, "grpc+tcp://127.0.0.1:9")
    assert tokens.verify(secret, env["KIT_SESSION_TOKEN"]) == config.operator()


def test_voila_waits_for_an_apps_output_as_long_as_a_loaded_machine_needs() -> None:
    """Voilà's executor, configured as `kit serve` configures it, reads a cell's output for 60 s, not 4.

    With nbclient's 4 s, a loaded machine rendered app pages without their widgets (title only).
    """
    from nbformat.v4 import new_notebook
    from traitlets.config.loader import PyFileConfigLoader
    from voila.execute import VoilaExecutor

    config = PyFileConfigLoader("voila.py", path=str(serve.SHARE / "voila")).load_config()
    assert VoilaExecutor(new_notebook(), config=config).iopub_timeout == serve.IOPUB_TIMEOUT_S == 60
    assert VoilaExecutor(new_notebook()).iopub_timeout == 4  # what it would be without kit's configuration
