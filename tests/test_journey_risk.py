"""A journey handover step may declare a risk level; the core treats it like a risky message."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.errors import DataError
from switchboard.journeys import JourneyBook

ASB = Path(__file__).resolve().parent.parent / "plugins" / "journeys" / "data" / "anti_social_behaviour.toml"


def test_unknown_risk_level_is_rejected_naming_file_and_step(tmp_path, sb_settings):
    bad = tmp_path / "asb.toml"
    bad.write_text(ASB.read_text(encoding="utf-8").replace('risk = "immediate"', 'risk = "severe"'), encoding="utf-8")
    with pytest.raises(DataError) as err:
        JourneyBook.load([bad], sb_settings(), ("anti_social_behaviour",))
    assert str(bad) in str(err.value) and "danger" in str(err.value) and "risk" in str(err.value)


def test_declared_risk_reaches_the_step_result(sb_dispatcher):
    d = sb_dispatcher()
    dec = d.dispatch(d.make_message("", choice="intent:anti_social_behaviour"))
    assert dec.state.journey == "anti_social_behaviour"
    # walk to the danger question by the journey's own branches
    for _ in range(6):
        step = dec.state.step
        if step == "at_risk":
            break
        if step == "ongoing":
            dec = d.dispatch(d.make_message("", state=dec.state, choice="yes"))
        else:
            dec = d.dispatch(d.make_message("Group of lads kicking a football against my car every evening", state=dec.state))
    assert dec.state.step == "at_risk"
    dec = d.dispatch(d.make_message("", state=dec.state, choice="yes"))
    assert dec.emergency is True
    assert dec.replies[0].kind == "emergency"
    assert dec.state.journey_handover == "at_risk_now"
