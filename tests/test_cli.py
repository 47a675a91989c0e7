from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kit import cli, db, schema
from tests import service_host

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`kit …` as its own process; in the suite's service mode, the file's service runs first."""
    env = None
    if env_db is not None:
        env = {**os.environ, "KIT_DB": str(env_db)}
    db_arg = args[args.index("--db") + 1] if "--db" in args else env_db
    if db_arg is not None:
        service_host.ensure(Path(db_arg))
    return subprocess.run(
        [sys.executable, "-m", "kit.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_init_then_check(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    assert cli.main(["init", "--db", str(path)]) == 0
    assert cli.main(["check", "--db", str(path)]) == 0
    with db.read(path) as con:
        assert con.scalar("SELECT max(version) FROM schema_migrations") == schema.latest_version()


def test_db_option_is_accepted_before_and_after_the_command(tmp_path: Path) -> None:
    before, after = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert cli.main(["--db", str(before), "init"]) == 0
    assert cli.main(["init", "--db", str(after)]) == 0
    assert before.exists()
    assert after.exists()


def test_kit_db_environment_variable_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "env.duckdb"
    result = run("init", env_db=path)
    assert result.returncode == 0, result.stderr
    assert path.exists()


def test_report_command_writes_the_report(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("report", "assessment", "--year", "2024", "--db", str(demo_db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "2024年度党风廉政建设责任制考核结果报告" in page
    assert "报告已写入" in result.stdout


def test_check_reports_a_broken_chain_and_fails(demo_db: Path) -> None:
    import duckdb

    with service_host.offline(demo_db):
        raw = duckdb.connect(str(demo_db))
        raw.execute("UPDATE trace_log SET actor = '他人' WHERE seq = 10")
        raw.close()
    result = run("check", "--db", str(demo_db))
    assert result.returncode == 1
    assert "第 10 条" in result.stderr


def test_demo_refuses_to_overwrite_without_force(demo_db: Path) -> None:
    assert cli.main(["demo", "--db", str(demo_db)]) == 2
    assert cli.main(["demo", "--db", str(demo_db), "--if-missing"]) == 0


def test_usage_errors_and_help_are_in_chinese() -> None:
    missing = run("report", "assessment")
    assert missing.returncode == 2
    assert "缺少必需的参数：--year" in missing.stderr
    assert "用法：" in missing.stderr
    helped = run("report", "--help")
    assert "显示帮助并退出" in helped.stdout
    assert "options" not in helped.stdout


def test_errors_are_one_chinese_line_not_a_traceback(tmp_path: Path) -> None:
    result = run("check", "--db", str(tmp_path / "missing.duckdb"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "不存在" in result.stderr


def _commands() -> list[str]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`kit {command}\b", readme), f"README.md does not document `kit {command}`"


def test_user_commands_manage_roles_and_scopes(
    office: dict[str, object], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(office["db"])
    assert cli.main(["user", "add", "wangli", "--display-name", "王丽", "--role", "录入员", "--db", path]) == 0
    assert cli.main(["user", "grant", "wangli", "--scope", "本单位", "--unit", "A", "--db", path]) == 0
    assert cli.main(["user", "grant", "wangli", "--role", "审核员", "--db", path]) == 0
    capsys.readouterr()
    assert cli.main(["user", "list", "--db", path]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"wangli\t王丽\t角色：录入员、审核员\t范围：\[\d+\] 本单位：甲县委", listed)
    assert cli.main(["user", "who", "A", "--db", path]) == 0
    assert "wangli" in capsys.readouterr().out
    assert cli.main(["user", "who", "B", "--db", path]) == 0
    assert "wangli" not in capsys.readouterr().out
    # Acting as wangli (not an administrator): refused, with the reason, and nothing changes.
    monkeypatch.setenv("KIT_OPERATOR", "wangli")
    assert cli.main(["user", "add", "lisi", "--db", path]) == 1
    assert "需要管理员角色" in capsys.readouterr().err
    monkeypatch.delenv("KIT_OPERATOR")
    assert cli.main(["user", "disable", "wangli", "--db", path]) == 0
    capsys.readouterr()
    assert cli.main(["user", "list", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "王丽（已停用）" in out
    assert "lisi" not in out


def test_init_names_the_first_administrator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "new.duckdb")
    assert cli.main(["init", "--admin", "zhangsan", "--db", path]) == 0
    assert cli.main(["user", "list", "--db", path]) == 1  # the operator is not that administrator
    assert "未在监督台登记" in capsys.readouterr().err


def test_settings_show_and_change_the_reminder_offsets(
    office: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(office["db"])
    assert cli.main(["settings", "--db", path]) == 0
    assert "整改时限提醒：到期前 7 天、到期当天、逾期满 7 天、逾期满 30 天（-7,0,7,30）" in capsys.readouterr().out
    assert cli.main(["settings", "--db", path, "--reminders=-3，0，15"]) == 0  # full-width commas
    assert "到期前 3 天、到期当天、逾期满 15 天（-3,0,15）" in capsys.readouterr().out
    assert cli.main(["settings", "--db", path, "--reminders", "下周"]) == 1
    assert "提醒天数" in capsys.readouterr().err
    with db.read(path) as con:
        assert con.scalar("SELECT value FROM settings WHERE key = 'reminder_offsets'") == "-3,0,15"
