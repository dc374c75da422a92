"""The widget in a real Chromium: Quick exit tells the server the visitor left (sendBeacon), the
"End chat" flow by keyboard with an inline confirmation, the live queue position, reduced motion,
and the accessibility statement page."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any, Iterator

import httpx
import pytest

pytestmark = pytest.mark.browser

SESSION_KEY = "switchboard:demo:session"


def _open(page: Any) -> None:
    page.get_by_role("button", name="Chat with us").click()
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()


def _session(page: Any) -> dict[str, Any]:
    return json.loads(page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')"))


def _transcript(base: str, session: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(f"{base}/api/v1/conversations/{session['id']}",
                                 headers={"Authorization": f"Bearer {session['token']}"})
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback test server
        return json.loads(resp.read())


def _wait_for_server_status(base: str, session: dict[str, Any], status: str) -> dict[str, Any]:
    """Poll the API until the conversation has ``status`` (a beacon is delivered asynchronously)."""
    state: dict[str, Any] = {}
    for _ in range(100):
        state = _transcript(base, session)["state"]
        if state["status"] == status:
            return state
        time.sleep(0.05)
    pytest.fail(f"the server never saw status {status!r}; last state {state}")


def _hand_over(page: Any) -> None:
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.live === 'true'")
    page.get_by_role("button", name="Talk to a person").click()
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'queued'")


def _position(page: Any) -> int:
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.queuePosition")
    return int(page.locator("#sbw-root").get_attribute("data-queue-position"))


@pytest.fixture
def visitor_pages(browser: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Any:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(ctx)
        p = ctx.new_page()
        p.set_default_timeout(10_000)
        p.goto(live_server + "/")
        return p

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def operator(live_server: str) -> Iterator[httpx.Client]:
    """The console API with a cookie jar, as the operator console's browser would use it."""
    with httpx.Client(base_url=live_server, headers={"Origin": live_server}, timeout=10) as client:
        r = client.post("/console/api/login", json={"username": "operator", "password": "demo-operator"})
        assert r.status_code == 200, r.text
        yield client


# -- quick exit -------------------------------------------------------------------------------------


def test_quick_exit_ends_the_chat_on_the_server(page, live_server):
    _open(page)
    _hand_over(page)
    session = _session(page)
    assert _transcript(live_server, session)["state"]["status"] == "queued"
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url("https://www.bbc.co.uk/weather")
    state = _wait_for_server_status(live_server, session, "closed")
    assert state["handover"] is True and state["queue"] == "contact_centre"
    page.goto(live_server + "/")  # the chat is forgotten in this tab too
    assert page.evaluate(f"() => sessionStorage.getItem('{SESSION_KEY}')") is None


def test_quick_exit_before_anything_was_said_still_ends_the_chat(page, live_server):
    _open(page)
    session = _session(page)
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url("https://www.bbc.co.uk/weather")
    assert _wait_for_server_status(live_server, session, "closed")["handover"] is False


# -- End chat ---------------------------------------------------------------------------------------


def _focused(page: Any) -> str:
    return page.evaluate("() => (document.activeElement.textContent || document.activeElement.id || '').trim()")


def test_end_chat_by_keyboard_with_an_inline_confirmation(page, live_server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open(page)
    page.get_by_role("textbox", name="Message").focus()
    session = _session(page)
    # Tab from the message box to "End chat"
    for _ in range(6):
        page.keyboard.press("Tab")
        if _focused(page) == "End chat":
            break
    else:
        pytest.fail("End chat is not reachable with Tab from the message box")
    end = page.get_by_role("button", name="End chat", exact=True)
    assert end.get_attribute("aria-expanded") == "false"

    # Enter asks first, on the page: a group named by the question, focus on "Yes, end chat"
    page.keyboard.press("Enter")
    confirm = page.get_by_role("group", name="Are you sure you want to end this chat?")
    assert confirm.is_visible()
    assert end.get_attribute("aria-expanded") == "true"
    assert _focused(page) == "Yes, end chat"
    # Escape cancels: the chat goes on and focus returns to "End chat"
    page.keyboard.press("Escape")
    assert not confirm.is_visible()
    assert _focused(page) == "End chat"
    assert page.locator("#sbw-panel").is_visible()  # Escape in the confirmation does not minimise
    assert _transcript(live_server, session)["state"]["status"] == "bot"
    # "No, keep chatting" cancels too
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert _focused(page) == "No, keep chatting"
    page.keyboard.press("Space")
    assert not confirm.is_visible() and _focused(page) == "End chat"

    # this time, yes
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'closed'")
    assert _focused(page) == "Start a new chat"
    assert page.get_by_role("status").inner_text() == "This chat has ended."
    assert not page.get_by_role("textbox", name="Message").is_visible()
    assert not page.get_by_role("button", name="Talk to a person").is_visible()
    assert page.get_by_role("button", name="Quick exit").is_visible()
    assert page.locator(".sbw-emergency").inner_text() == "In an emergency call 999"
    assert _transcript(live_server, session)["state"]["status"] == "closed"
    assert dialogs == []

    # Start a new chat: a fresh conversation, the message box back and focused
    page.keyboard.press("Enter")
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()
    page.wait_for_function(f"() => JSON.parse(sessionStorage.getItem('{SESSION_KEY}') || '{{}}').id "
                           f"&& JSON.parse(sessionStorage.getItem('{SESSION_KEY}')).id !== '{session['id']}'")
    assert page.locator(".sbw-log li").count() == 1  # the old transcript is gone from the screen
    assert page.evaluate("() => document.activeElement.id") == "sbw-input"
    page.keyboard.type("I found a wallet in the park")
    page.keyboard.press("Enter")
    page.locator('.sbw-log li[data-role="visitor"][data-id]').wait_for()  # stored by the server
    new = _session(page)
    assert [m["text"] for m in _transcript(live_server, new)["messages"] if m["role"] == "visitor"] == [
        "I found a wallet in the park"]
    assert _transcript(live_server, session)["state"]["status"] == "closed"


def test_end_chat_with_an_operator_ends_it_for_them(visitor_pages, operator, live_server):
    page = visitor_pages()
    _open(page)
    _hand_over(page)
    session = _session(page)
    assert operator.post(f"/console/api/conversations/{session['id']}/claim").status_code == 200
    page.locator('.sbw-log li[data-role="system"]', has_text="has joined").wait_for()
    page.get_by_role("button", name="End chat", exact=True).click()
    page.get_by_role("button", name="Yes, end chat").click()
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'closed'")
    # the operator sees why; the visitor is not shown the staff notice
    view = operator.get(f"/console/api/conversations/{session['id']}").json()
    assert view["state"]["status"] == "closed"
    assert view["messages"][-1]["role"] == "system" and view["messages"][-1]["kind"] == "visitor_left"
    assert page.locator('.sbw-log li[data-kind="visitor_left"]').count() == 0


def test_accessibility_audit_of_the_end_chat_confirmation_and_closed_chat(browser, live_server, axe_path):
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(live_server + "/")
        _open(page)
        page.add_script_tag(path=str(axe_path))
        page.get_by_role("button", name="End chat", exact=True).click()
        for stage in ("confirmation", "closed"):
            results = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
                   if v["impact"] in ("serious", "critical")]
            assert bad == [], stage
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, stage
            if stage == "confirmation":
                for name in ("Yes, end chat", "No, keep chatting"):
                    box = page.get_by_role("button", name=name).bounding_box()
                    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320.5, (name, box)
                page.get_by_role("button", name="Yes, end chat").click()
                page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'closed'")
    finally:
        ctx.close()


# -- queue position ---------------------------------------------------------------------------------


def test_queue_position_and_wait_update_live(visitor_pages, operator, live_server):
    first, second = visitor_pages(), visitor_pages()
    _open(first)
    _open(second)
    _hand_over(first)
    ahead = _position(first)  # other tests may have left chats waiting in this queue
    _hand_over(second)
    second.wait_for_function(
        "n => document.querySelector('#sbw-root').dataset.queuePosition === String(n)", arg=ahead + 1)
    status = second.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    text = status.inner_text()
    assert text.startswith(f"You are number {ahead + 1} in the queue. Expected wait: about ")
    assert text.endswith(" minutes.")
    # the conversation log is a polite live region holding the messages a screen reader announces
    log = second.get_by_role("log", name="Conversation")
    assert log.get_attribute("aria-live") == "polite" and log.locator("li").count() >= 2

    first_id = _session(first)["id"]
    r = operator.post(f"/console/api/conversations/{first_id}/claim")
    assert r.status_code == 200, r.text
    # the visitor behind moves up, live; the one claimed stops showing a queue place
    second.wait_for_function(
        "n => document.querySelector('#sbw-root').dataset.queuePosition === String(n)", arg=ahead)
    assert second.get_by_role("status").inner_text().startswith(f"You are number {ahead} in the queue.")
    first.locator('.sbw-log li[data-role="system"]', has_text="has joined").wait_for()
    first.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'with_operator'")
    assert "in the queue" not in first.locator(".sbw-status").inner_text()

    # leave nothing waiting for later tests: the operator closes one chat, the other visitor ends theirs
    assert operator.post(f"/console/api/conversations/{first_id}/close",
                         json={"outcome": "advice_given"}).status_code == 200
    second.get_by_role("button", name="End chat", exact=True).click()
    second.get_by_role("button", name="Yes, end chat").click()
    _wait_for_server_status(live_server, _session(second), "closed")


# -- reduced motion and the accessibility statement ---------------------------------------------------


def test_accessibility_reduced_motion_turns_off_smooth_scrolling(page):
    _open(page)
    scroller = page.locator(".sbw-scroll")
    assert scroller.evaluate("e => getComputedStyle(e).scrollBehavior") == "smooth"
    page.emulate_media(reduced_motion="reduce")
    assert scroller.evaluate("e => getComputedStyle(e).scrollBehavior") == "auto"


def test_accessibility_statement_is_linked_and_passes_axe(browser, live_server, axe_path):
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(live_server + "/")
        footer_link = page.locator(".site-footer").get_by_role("link", name="Accessibility statement")
        assert footer_link.get_attribute("href") == "/accessibility"
        _open(page)
        widget_link = page.locator("#sbw-panel").get_by_role(
            "link", name="Accessibility statement (opens in a new tab)")
        assert widget_link.get_attribute("href") == live_server + "/accessibility"
        assert widget_link.get_attribute("target") == "_blank"

        footer_link.click()
        page.wait_for_url(live_server + "/accessibility")
        assert page.get_by_role("heading", level=1).inner_text() == "Accessibility statement for the online chat"
        headings = page.get_by_role("heading", level=2).all_inner_texts()
        for needed in ("How accessible the chat is", "Reporting accessibility problems with the chat",
                       "Enforcement procedure", "Preparation of this accessibility statement"):
            assert needed in headings
        body = page.locator("main").inner_text()
        for needed in ("WCAG", "2.2", "Equality and Human Rights Commission", "Equality Advisory and Support Service",
                       "400%", "320", "axe-core", "reduced motion", "27 November 2026"):
            assert needed in body, needed
        page.add_script_tag(path=str(axe_path))
        results = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
               if v["impact"] in ("serious", "critical")]
        assert bad == []
        assert len(results["passes"]) > 10
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    finally:
        ctx.close()
