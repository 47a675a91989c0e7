"""A demo office (its real sizes) whose every free-text field starts with a script payload.

Unit, person, post, scheme, indicator, grade label, category, round, group, finding,
measure, progress note, evidence file name, user's name…: each would run script in a
reader's browser if any page of the apps or any report did not escape it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit import db, demo, validate
from tests import service_host

MARK = "XSS"
# Tags, attributes, a script end, backticks, a template literal, both quotes, an entity.
HOSTILE = MARK + "<img src=x onerror=\"alert('x')\"></script><script>`${alert(1)}`</script>'\"&amp;"

# Values the demo builds by looking them up again keep their text; these are changed afterwards.
AFTERWARDS = {"grade_bands": "label", "score_sheets": "grade", "evidence_files": "filename", "findings": "description"}


def build(path: Path) -> None:
    """The hostile office at `path`, built through kit's own write functions.

    Each text value is prefixed as it is accepted; labels the demo looks up again by
    their text are changed behind kit's back afterwards.
    """
    accept = validate.text

    def hostile_text(raw: Any, *, field: str, label: str, **rules: Any) -> str:
        value = accept(raw, field=field, label=label, **rules)
        kept = label == "用户名" or label.endswith(("编码", "编号", "文件名", "等次名称"))
        return HOSTILE + value if value and not kept and not value.startswith(MARK) else value

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "text", hostile_text)
        demo.build(path)
    with service_host.offline(path), db.write(path, action="测试：植入恶意文本") as con:
        for table, column in AFTERWARDS.items():
            con.execute(f"UPDATE {table} SET {column} = ? || {column}", [HOSTILE])
