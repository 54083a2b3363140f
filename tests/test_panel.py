"""Adding to a campaign's panel after it is set up."""

from __future__ import annotations

import pytest

from db.campaigns import add_panel_member, panel_members
from db.errors import ValidationError


def test_add_panel_member(session, demo):
    member = add_panel_member(session, demo.id, "  Ruth Ogundipe ", "Independent", actor="Sam Whitfield")
    assert (member.name, member.role) == ("Ruth Ogundipe", "independent")
    assert [m.name for m in panel_members(session, demo.id)][-1] == "Ruth Ogundipe"


def test_add_panel_member_refuses_duplicates_and_bad_roles(session, demo):
    with pytest.raises(ValidationError, match="already on the panel"):
        add_panel_member(session, demo.id, "sam whitfield")
    with pytest.raises(ValidationError, match="role 'observer' is not one of"):
        add_panel_member(session, demo.id, "New Person", "observer")
