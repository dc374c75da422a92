"""The widget in a real Chromium: emergency first message, a whole ASB journey, keyboard only,
axe-core audit, hostile text shown as text, reload and continue, offline and back online,
quick exit."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.browser

EMERGENCY_TEXT = "someone is breaking into my house right now"


def _open(page: Any) -> None:
    page.get_by_role("button", name="Chat with us").click()
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()


def _bot_count(page: Any) -> int:
    return page.locator('.sbw-log li:not([data-role="visitor"])').count()


def _send(page: Any, text: str) -> None:
    before = _bot_count(page)
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    _wait_for_reply(page, before)


def _wait_for_reply(page: Any, before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.sbw-log li:not([data-role=\"visitor\"])').length > n", arg=before)


def _session(page: Any) -> dict[str, Any]:
    return json.loads(page.evaluate("() => sessionStorage.getItem('switchboard:demo:session')"))


def _transcript(base: str, session: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(f"{base}/api/v1/conversations/{session['id']}",
                                 headers={"Authorization": f"Bearer {session['token']}"})
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback test server
        return json.loads(resp.read())


def test_first_message_emergency_shows_999_guidance_first(page, live_server):
    _open(page)
    expect_always = page.locator(".sbw-emergency")
    assert expect_always.inner_text() == "In an emergency call 999"
    _send(page, EMERGENCY_TEXT)
    items = page.locator(".sbw-log li")
    roles = items.evaluate_all("els => els.map(e => [e.dataset.role, e.dataset.kind])")
    visitor_at = roles.index(["visitor", "message"])
    assert roles[visitor_at + 1] == ["bot", "emergency"]
    assert "Call 999 now" in items.nth(visitor_at + 1).inner_text()
    assert page.locator("#sbw-root").get_attribute("data-emergency") == "true"


_ANSWERS = [
    (re.compile(r"happening right now|in danger", re.I), "option:No"),
    (re.compile(r"when did it last happen|day or time", re.I), "yesterday evening about 9pm"),
    (re.compile(r"happened before", re.I), "option:No"),
    (re.compile(r"how long", re.I), "about three months, most weekends"),
    (re.compile(r"where", re.I), "Outside 12 High Street, AB1 2CD"),
    (re.compile(r"describe anyone|people involved", re.I), "Three teenagers in dark hoodies"),
    (re.compile(r"vehicle", re.I), "option:Skip"),
    (re.compile(r"get back to you|choose one", re.I), "option:No need to contact me"),
    (re.compile(r"closest|which of these", re.I), "option:Anti-social behaviour"),
    (re.compile(r"what's been happening|tell me a bit more", re.I),
     "Teenagers shouting and swearing outside my house and kicking footballs at parked cars"),
]


def test_a_whole_anti_social_behaviour_journey(page, live_server):
    _open(page)
    _send(page, "Teenagers keep gathering outside my house every night, shouting, swearing and kicking "
                "footballs at my car")
    finished = False
    for _turn in range(16):
        root = page.locator("#sbw-root")
        if page.locator('.sbw-log li[data-kind="summary"]').count() or root.get_attribute("data-status") in (
                "queued", "with_operator"):
            finished = True
            break
        last = page.locator('.sbw-log li:not([data-role="visitor"])').last.inner_text()
        answer = next((a for pattern, a in _ANSWERS if pattern.search(last)), None)
        if answer is None:
            options = page.locator(".sbw-options button")
            answer = "option:" + options.first.inner_text() if options.count() else "I'm not sure"
        before = _bot_count(page)
        if answer.startswith("option:"):
            page.locator(".sbw-options").get_by_role("button", name=answer[7:], exact=True).click()
            _wait_for_reply(page, before)
        else:
            _send(page, answer)
    assert finished, "the journey neither finished nor handed over within 16 turns"
    state = _transcript(live_server, _session(page))["state"]
    assert state["intent"] == "anti_social_behaviour"
    assert state["emergency"] is False
    assert page.locator('.sbw-log li[data-kind="emergency"]').count() == 0


def test_keyboard_only_use(page, live_server):
    # Tab from the top of the page to the launcher, open it with Enter, type, send with Enter.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.textContent") == "Chat with us":
            break
    else:
        pytest.fail("the chat launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()
    assert page.evaluate("() => document.activeElement.id") == "sbw-input"
    before = _bot_count(page)
    page.keyboard.type("I lost my purse in town")
    page.keyboard.press("Enter")
    _wait_for_reply(page, before)
    assert "I lost my purse in town" in page.locator('.sbw-log li[data-role="visitor"]').first.inner_text()
    # every control in the panel is reachable with Tab and shows a visible focus indicator
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return [e.className || e.tagName, e.textContent, s.outlineStyle, s.outlineWidth]; }""")
        if "sbw" in info[0]:
            reached.add(info[1] if "sbw-button" in info[0] else info[0])
            assert info[2] != "none" and info[3] != "0px", f"no visible focus on {info}"
    assert {"Send", "Talk to a person", "Quick exit", "Minimise chat"} <= reached
    # Escape minimises and returns focus to the launcher
    page.get_by_role("textbox", name="Message").focus()
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.textContent") == "Chat with us"


def test_accessibility_audit_has_no_serious_or_critical_violations(browser, live_server, axe_path):
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    try:
        page = ctx.new_page()
        page.goto(live_server + "/")
        _open(page)
        _send(page, "<b>noise</b> from next door every night")
        page.add_script_tag(path=str(axe_path))
        results = page.evaluate("""async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}
        })""")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
               if v["impact"] in ("serious", "critical")]
        assert bad == []
        assert len(results["passes"]) > 10  # the audit really ran
        _all_controls_in_view(page, 1280, 800)
        # reflow: at 320 CSS px (1280 px at 400% zoom) nothing scrolls sideways
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        box = page.locator("#sbw-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
        _all_controls_in_view(page, 320, 640)
    finally:
        ctx.close()


def _all_controls_in_view(page: Any, width: int, height: int) -> None:
    """The text box, Send, Talk to a person, Quick exit and the 999 line are on screen without
    scrolling the page (quick replies scroll inside the panel instead of pushing them out)."""
    for locator in (page.get_by_role("textbox", name="Message"), page.get_by_role("button", name="Send", exact=True),
                    page.get_by_role("button", name="Talk to a person"), page.get_by_role("button", name="Quick exit"),
                    page.locator(".sbw-emergency")):
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5, box


def test_script_and_html_in_messages_are_shown_as_text(page, live_server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open(page)
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>'
    _send(page, hostile)
    visitor = page.locator('.sbw-log li[data-role="visitor"] .sbw-text').first
    assert visitor.inner_text() == hostile
    assert page.locator(".sbw-log img, .sbw-log script, .sbw-log b").count() == 0
    assert dialogs == []


def test_reload_and_continue(page, live_server):
    _open(page)
    _send(page, "My bike was stolen from outside the library last Tuesday")
    texts_before = page.locator(".sbw-log li .sbw-text").all_inner_texts()
    session = _session(page)
    page.reload()
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()
    page.wait_for_function("n => document.querySelectorAll('.sbw-log li').length >= n", arg=len(texts_before))
    assert page.locator(".sbw-log li .sbw-text").all_inner_texts() == texts_before
    assert _session(page)["id"] == session["id"]
    _send(page, "It was a red mountain bike")
    transcript = _transcript(live_server, session)
    assert [m["text"] for m in transcript["messages"] if m["role"] == "visitor"][-1] == "It was a red mountain bike"


def test_offline_then_back_online_resends_once(page, context, live_server):
    _open(page)
    context.set_offline(True)
    page.get_by_role("textbox", name="Message").fill("Someone keeps parking across my drive")
    page.get_by_role("button", name="Send", exact=True).click()
    failed = page.locator(".sbw-msg--failed")
    failed.wait_for()
    assert "Not sent yet" in failed.inner_text()
    assert page.get_by_role("button", name="Try again").is_visible()
    before = _bot_count(page)
    context.set_offline(False)
    _wait_for_reply(page, before)
    assert page.locator(".sbw-msg--failed, .sbw-msg--pending").count() == 0
    visitor_texts = [m["text"] for m in _transcript(live_server, _session(page))["messages"] if m["role"] == "visitor"]
    assert visitor_texts == ["Someone keeps parking across my drive"]  # sent once


def test_talk_to_a_person_and_quick_exit(page, live_server):
    _open(page)
    before = _bot_count(page)
    page.get_by_role("button", name="Talk to a person").click()
    _wait_for_reply(page, before)
    assert page.locator("#sbw-root").get_attribute("data-status") in ("queued", "bot")
    assert _transcript(live_server, _session(page))["state"]["handover"] is True
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url("https://www.bbc.co.uk/weather")
    page.goto(live_server + "/")  # same tab, same session storage: the chat was forgotten
    assert page.evaluate("() => sessionStorage.getItem('switchboard:demo:session')") is None
