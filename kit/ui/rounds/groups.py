"""The 巡察组织 app's group correction: the group opened from the list, its name, members and units."""

from __future__ import annotations

import ipywidgets as w

from kit import inspections
from kit.markup import html
from kit.ui.correction_panel import REASON, CorrectionPanel
from kit.ui.forms import FieldSpec, Form
from kit.ui.parts import keep, labelled, section, show_if
from kit.ui.rounds.groups_model import REMOVE_MEMBER, REMOVE_TARGET
from kit.ui.rounds.model import RoundsModel
from kit.ui.widgets import Html

GROUP_FIX_FIELDS = [FieldSpec("name", "巡察组名称", required=True, width="14em")]
MEMBER_FIX_FIELDS = [
    FieldSpec("person_id", "组员", "choice", required=True, width="18em", row="member"),
    FieldSpec(
        "role",
        "改为",
        "choice",
        required=True,
        options=[*labelled(inspections.MEMBER_ROLE_LABELS), ("移出本组", REMOVE_MEMBER)],
        width="9em",
        row="member",
        label_width="4em",
    ),
    REASON,
]
TARGET_FIX_FIELDS = [
    FieldSpec("unit_id", "巡察对象", "choice", required=True, width="18em", row="unit"),
    FieldSpec("group_id", "改由", "choice", required=True, width="14em", row="unit", label_width="4em"),
    REASON,
]


class GroupPanel:
    """更正或作废所选巡察组: rename or void it, correct a member's post or remove them, move or remove a unit.

    Built for a 录入员 only; each save is a correction of the round, listed in its history.
    """

    def __init__(self, model: RoundsModel) -> None:
        self.model = model
        self.fix = CorrectionPanel(
            GROUP_FIX_FIELDS, correct=model.correct_group, void=model.void_group, void_label="作废本组"
        )
        self.members = Form(MEMBER_FIX_FIELDS, submit_label="保存组员更正", on_submit=model.fix_member)
        self.units = Form(TARGET_FIX_FIELDS, submit_label="保存巡察对象更正", on_submit=model.fix_target)
        self.which = Html("")  # the group the forms below change, named
        self.box = w.VBox(
            [
                section("更正或作废所选巡察组（名称；无组员、无巡察对象时可作废）"),
                self.which,
                self.fix.box,
                section("更正组员（改任职务或移出本组）"),
                self.members.box,
                section("更正巡察对象（交给本轮别的巡察组，或在本轮尚无记录时撤销）"),
                self.units.box,
            ],
            layout=w.Layout(display="none"),
        )
        self._filled: int | None = None  # the group whose name the form shows

    def draw(self) -> None:
        """The opened group in the forms; what the user is typing in its name stays."""
        m = self.model
        group = m.group()
        show_if(self.box, group is not None)
        if group is None:
            self._filled = None
            return
        if self._filled != group["id"]:  # another group: nothing typed for the last one stays
            self.members.set_values({})
            self.units.set_values({})
        if self._filled != group["id"] or not self.fix.form.dirty:
            self.fix.fill({"name": group["name"]}, reviewed=False)
            self._filled = group["id"]
        self.which.value = html(
            '<div class="kit-info">正在更正：{name}（组员 {members} 人，巡察对象 {units} 个）</div>',
            name=group["name"],
            members=len(group["members"]),
            units=len(group["units"]),
        )
        members = [(f"{p['name']}（{p['role_label']}）", p["person_id"]) for p in group["members"]]
        units = [(u["name"], u["id"]) for u in group["units"]]
        others = [(g["name"], g["id"]) for g in m.groups if g["id"] != group["id"]]
        others.append(("撤销（本轮不再巡察）", REMOVE_TARGET))
        chosen = self.members.values()
        self.members.set_choices({"person_id": (members, keep(members, chosen["person_id"]))})
        picked = self.units.values()
        self.units.set_choices(
            {"unit_id": (units, keep(units, picked["unit_id"])), "group_id": (others, keep(others, picked["group_id"]))}
        )
