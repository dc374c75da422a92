"""The operator console in a real Chromium, next to a visitor using the widget in another browser
context: handover, claim, THRIVE card, live replies (typed and approved canned), close with an
outcome; two operators racing to claim one chat; keyboard-only use; an axe-core audit and reflow
at 320 px; hostile visitor text shown as text.

Reuses ``live_server``, ``browser`` and ``axe_path`` from ``conftest.py``. Every wait is bounded
by a few seconds (``WAIT_MS``), so a broken console fails fast instead of hanging the suite.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.browser

WAIT_MS = 5_000
OPERATOR = ("operator", "demo-operator")
OPERATOR2 = ("operator2", "demo-operator2")
SCREENSHOT = "/tmp/switchboard-console-claimed.png"


# -- helpers ---------------------------------------------------------------------------------------


@dataclass
class Visitor:
    """A visitor's page with the widget open, and the id of their conversation."""

    page: Any
    conversation_id: str


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Factory for pages, each in its own browser context (own cookies and storage); all closed
    after the test."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800, *, bypass_csp: bool = False) -> Any:
        ctx = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def hand_over(page: Any, base: str, text: str) -> Visitor:
    """Open the widget on the demo page, send ``text`` and, unless that already handed over, press
    "Talk to a person"; returns once the conversation waits in a queue."""
    page.goto(base + "/")
    page.get_by_role("button", name="Chat with us").click()
    page.locator('.sbw-log li[data-kind="greeting"]').wait_for()
    before = page.locator('.sbw-log li:not([data-role="visitor"])').count()
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function(
        "n => document.querySelectorAll('.sbw-log li:not([data-role=\"visitor\"])').length > n", arg=before)
    if page.locator("#sbw-root").get_attribute("data-status") != "queued":
        page.get_by_role("button", name="Talk to a person").click()
    page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'queued'")
    session = json.loads(page.evaluate("() => sessionStorage.getItem('switchboard:demo:session')"))
    return Visitor(page=page, conversation_id=session["id"])


def sign_in(page: Any, base: str, creds: tuple[str, str] = OPERATOR) -> None:
    page.goto(base + "/console/")
    page.get_by_label("Username").fill(creds[0])
    page.get_by_label("Password").fill(creds[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My queues").wait_for()


def queue_entry(page: Any, conversation_id: str) -> Any:
    """The claim button of one waiting chat in the console's queue list."""
    return page.locator(f'#queue-list [data-id="{conversation_id}"]')


def visitor_texts(visitor: Visitor, role: str) -> list[str]:
    return visitor.page.locator(f'.sbw-log li[data-role="{role}"] .sbw-text').all_inner_texts()


# -- 1. handover, claim, card, live replies, close --------------------------------------------------

THRIVE = ["Threat", "Harm", "Risk", "Investigation", "Vulnerability", "Engagement"]
URGENT_TEXT = "a man has a knife and is threatening my neighbour right now"


def test_visitor_hands_over_operator_claims_replies_live_and_closes(open_page, live_server):
    visitor = hand_over(open_page(), live_server, "My bike was stolen from outside the library yesterday")
    urgent = hand_over(open_page(), live_server, URGENT_TEXT)  # handed over by the risk checks
    visitor.page.evaluate("() => { window.__sameDocument = true; }")
    op = open_page()
    sign_in(op, live_server)

    # both chats wait in the queue, the emergency first although it arrived later
    queue_entry(op, visitor.conversation_id).wait_for()
    queue_entry(op, urgent.conversation_id).wait_for()
    rows = op.locator("#queue-list button[data-id]").evaluate_all(
        "els => els.map(e => [e.dataset.id, e.closest('.queue').querySelector('h3').textContent])")
    where = {cid: (i, queue) for i, (cid, queue) in enumerate(rows)}
    assert where[urgent.conversation_id][1] == where[visitor.conversation_id][1]
    assert where[urgent.conversation_id][0] < where[visitor.conversation_id][0]
    assert queue_entry(op, urgent.conversation_id).locator(".badge").text_content() == "Emergency"
    assert queue_entry(op, visitor.conversation_id).locator(".badge").count() == 0

    # claim: the reply box gets focus, the transcript and THRIVE card are shown
    queue_entry(op, visitor.conversation_id).click()
    reply_box = op.get_by_role("textbox", name="Reply to visitor")
    op.wait_for_function("() => document.activeElement && document.activeElement.id === 'reply'")
    queue_entry(op, visitor.conversation_id).wait_for(state="detached")
    assert op.locator("#chat-status").inner_text().startswith("You are handling this chat")
    transcript = op.locator("#transcript")
    assert "My bike was stolen from outside the library yesterday" in transcript.inner_text()
    card = op.locator("#card-body")
    assert card.locator("dl.thrive > dt").all_inner_texts() == THRIVE
    assert "asked to speak to a person" in card.inner_text()
    assert "library" in card.locator("dl.thrive").inner_text()  # the collected description
    visitor.page.locator('.sbw-log li[data-role="system"]', has_text="has joined").wait_for()
    history_row = op.locator(f'#history-list [data-id="{visitor.conversation_id}"]')
    history_row.filter(has_text="Open with you").wait_for()

    # a typed reply reaches the visitor live, without reloading their page
    reply_box.fill("Hello, I'm Sam. I'm sorry about your bike; I can help you report it.")
    op.get_by_role("button", name="Send reply").click()
    visitor.page.locator('.sbw-log li[data-role="operator"] .sbw-text',
                         has_text="I'm sorry about your bike").wait_for()
    # the box empties once the console's own request returns, which may be after the visitor's
    # page already shows the reply (it arrives there by the event stream): wait for it, then check
    op.wait_for_function("() => document.getElementById('reply').value === ''", timeout=5000)
    assert reply_box.input_value() == ""

    # an approved canned reply: choose it, use it, send it
    op.get_by_label("Approved reply").select_option(label="Anything else?")
    op.get_by_role("button", name="Use reply").click()
    canned_text = "Is there anything else I can help you with today?"
    assert reply_box.input_value() == canned_text
    op.get_by_role("button", name="Send reply").click()
    visitor.page.locator('.sbw-log li[data-role="operator"] .sbw-text', has_text=canned_text).wait_for()
    assert visitor_texts(visitor, "operator") == [
        "Hello, I'm Sam. I'm sorry about your bike; I can help you report it.", canned_text]

    # the visitor answers; the operator sees it live and the live region reads it out
    visitor.page.get_by_role("textbox", name="Message").fill("No, that's everything, thank you")
    visitor.page.get_by_role("button", name="Send", exact=True).click()
    transcript.locator('li[data-role="visitor"]', has_text="that's everything").wait_for()
    op.wait_for_function("() => document.getElementById('announcer').textContent.includes('that\\'s everything')")
    op.screenshot(path=SCREENSHOT, full_page=True)

    # closing needs an outcome code; with one, the visitor sees the closed notice
    op.get_by_role("button", name="Close chat").click()
    assert op.locator("#close-error").inner_text() == "Choose an outcome before closing the chat."
    assert op.locator("#reply-form").is_visible()
    op.get_by_label("Outcome").select_option(label="Advice given")
    op.get_by_role("button", name="Close chat").click()
    visitor.page.locator('.sbw-log li[data-kind="closed"]').wait_for()
    visitor.page.wait_for_function("() => document.querySelector('#sbw-root').dataset.status === 'closed'")
    assert visitor.page.evaluate("() => window.__sameDocument === true")
    op.locator("#chat-status", has_text="Closed: Advice given").wait_for()
    assert not op.locator("#reply-form").is_visible()
    history_row.filter(has_text="Closed: Advice given").wait_for()

    # the canned reply was recorded as such in the audit log
    admin = op.context.browser.new_context()
    try:
        admin.request.post(live_server + "/console/api/login", data={"username": "admin", "password": "demo-admin"})
        entries = admin.request.get(
            f"{live_server}/console/api/audit?conversation_id={visitor.conversation_id}").json()["entries"]
    finally:
        admin.close()
    replies = [e for e in entries if e["action"] == "reply"]
    assert [e["detail"].get("canned_id") for e in replies] == [None, "anything_else"]
    assert [e["detail"].get("outcome") for e in entries if e["action"] == "close"] == ["advice_given"]


# -- 2. two operators race for one chat -------------------------------------------------------------

_CLICK_AT = """([id, at]) => {
    window.__clicked = null;
    setTimeout(() => {
        const b = document.querySelector(`#queue-list button[data-id="${id}"]`);
        window.__clicked = !!b;
        if (b) b.click();
    }, Math.max(0, at - Date.now()));
}"""
_SETTLED = """() => !document.getElementById('reply-form').hidden || document.getElementById('notice').textContent !== ''"""


def test_two_operators_race_to_claim_one_chat(open_page, live_server):
    visitor = hand_over(open_page(), live_server, "I want to speak to someone about my neighbour's dog")
    first, second = open_page(), open_page()
    sign_in(first, live_server, OPERATOR)
    sign_in(second, live_server, OPERATOR2)
    for op in (first, second):
        queue_entry(op, visitor.conversation_id).wait_for()
    # both press Claim at the same instant (one shared clock on this machine)
    at = first.evaluate("() => Date.now()") + 500
    for op in (first, second):
        op.evaluate(_CLICK_AT, [visitor.conversation_id, at])
    for op in (first, second):
        op.wait_for_function(_SETTLED)
        assert op.evaluate("() => window.__clicked") is True
    won = [op for op in (first, second) if op.locator("#reply-form").is_visible()]
    lost = [op for op in (first, second) if op.locator("#notice").is_visible()]
    assert len(won) == 1 and len(lost) == 1 and won[0] is not lost[0]
    winner, loser = won[0], lost[0]
    assert loser.locator("#notice").inner_text() == "Another operator has already claimed that chat."
    assert not loser.locator("#reply-form").is_visible()
    queue_entry(loser, visitor.conversation_id).wait_for(state="detached")
    queue_entry(winner, visitor.conversation_id).wait_for(state="detached")
    # the visitor was joined by exactly one operator: the winner
    joined = visitor.page.locator('.sbw-log li[data-role="system"]', has_text="has joined")
    joined.wait_for()
    name = "Sam" if winner is first else "Alex"
    assert joined.count() == 1 and joined.inner_text().find(name) != -1


# -- 3. keyboard only -------------------------------------------------------------------------------

_FOCUS = """() => { const e = document.activeElement; const s = getComputedStyle(e);
    return {id: e.id, tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40), cid: e.dataset.id || null,
            outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""


def _tab_to(page: Any, predicate: Any, limit: int = 60) -> dict[str, Any]:
    """Press Tab until ``predicate(focus)`` holds; every control on the way shows a visible focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        if focus["tag"] in ("BUTTON", "INPUT", "SELECT", "TEXTAREA", "A"):
            assert focus["outline"], f"no visible focus indicator on {focus}"
        if predicate(focus):
            return focus
    pytest.fail("not reachable with Tab")


def test_keyboard_only_sign_in_claim_reply_and_close(open_page, live_server):
    visitor = hand_over(open_page(), live_server, "Someone keeps dumping rubbish in the alley behind my house")
    op = open_page()
    op.goto(live_server + "/console/")
    op.locator("#username").wait_for()
    op.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(op, lambda f: f["id"] == "username")
    op.keyboard.type(OPERATOR[0])
    op.keyboard.press("Tab")
    op.keyboard.type(OPERATOR[1])
    op.keyboard.press("Enter")
    op.wait_for_function("() => document.activeElement.id === 'queues-title'")
    queue_entry(op, visitor.conversation_id).wait_for()

    _tab_to(op, lambda f: f["cid"] == visitor.conversation_id)
    op.keyboard.press("Enter")
    op.wait_for_function("() => document.activeElement.id === 'reply'")
    op.keyboard.type("Thanks for telling us. Which alley is it?")
    _tab_to(op, lambda f: f["text"] == "Send reply", limit=3)
    op.keyboard.press("Enter")
    visitor.page.locator('.sbw-log li[data-role="operator"] .sbw-text', has_text="Which alley is it?").wait_for()
    op.wait_for_function("() => document.getElementById('announcer').textContent === 'Reply sent'")

    # a new visitor message is announced through the live region
    visitor.page.get_by_role("textbox", name="Message").fill("The one off Mill Lane")
    visitor.page.get_by_role("button", name="Send", exact=True).click()
    op.wait_for_function(
        "() => document.getElementById('announcer').textContent === 'Visitor: The one off Mill Lane'")
    assert op.locator("#announcer").get_attribute("aria-live") == "polite"

    # close with an outcome chosen from the keyboard; Space presses the button
    _tab_to(op, lambda f: f["id"] == "outcome", limit=6)
    op.keyboard.press("ArrowDown")
    op.keyboard.press("ArrowDown")
    assert op.locator("#outcome").input_value() == "report_taken"
    _tab_to(op, lambda f: f["text"] == "Close chat", limit=2)
    op.keyboard.press("Space")
    visitor.page.locator('.sbw-log li[data-kind="closed"]').wait_for()
    op.locator("#chat-status", has_text="Closed: Report taken").wait_for()
    op.wait_for_function("() => document.activeElement.id === 'chat-title'")
    op.wait_for_function("() => document.getElementById('announcer').textContent === 'Chat closed: Report taken'")


# -- 4. accessibility audit and reflow --------------------------------------------------------------

_AXE = """async () => await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}
})"""


def _audit(page: Any, axe_path: Any) -> list[Any]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_path))
    results = page.evaluate(_AXE)
    assert len(results["passes"]) > 10  # the audit really ran
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
            if v["impact"] in ("serious", "critical")]


def test_accessibility_audit_and_reflow(open_page, live_server, axe_path):
    visitor = hand_over(open_page(), live_server, "I lost my wallet on the number 12 bus this morning")
    op = open_page(bypass_csp=True)
    op.goto(live_server + "/console/")
    op.locator("#username").wait_for()
    assert _audit(op, axe_path) == []  # signed out
    # a failed sign-in shows a visible message next to the form
    op.get_by_label("Username").fill("operator")
    op.get_by_label("Password").fill("wrong password")
    op.get_by_role("button", name="Sign in").click()
    op.locator("#login-error", has_text="wrong username or password").wait_for()
    sign_in(op, live_server)
    queue_entry(op, visitor.conversation_id).click()
    op.wait_for_function("() => document.activeElement.id === 'reply'")
    op.get_by_role("textbox", name="Reply to visitor").fill("Hello")
    assert _audit(op, axe_path) == []  # signed in with a chat open
    landmarks = op.evaluate("() => [...document.querySelectorAll('header, main, section[aria-labelledby]')].length")
    assert landmarks >= 5
    assert op.locator("h1:visible, h1.visually-hidden").count() == 1

    # reflow: at 320 CSS px (1280 px at 400% zoom) nothing scrolls sideways and controls fit
    op.set_viewport_size({"width": 320, "height": 640})
    assert op.evaluate("() => document.documentElement.scrollWidth") <= 320
    for locator in (op.get_by_role("textbox", name="Reply to visitor"), op.get_by_role("button", name="Send reply"),
                    op.get_by_role("button", name="Close chat"), op.get_by_role("button", name="Sign out"),
                    op.locator("#card-body")):
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320.5, box
    assert _audit(op, axe_path) == []


# -- 5. untrusted text ------------------------------------------------------------------------------


def test_hostile_visitor_text_is_shown_as_text(open_page, live_server):
    hostile = "My bike was stolen <img src=x onerror=alert(1)><script>alert(2)</script>"
    visitor = hand_over(open_page(), live_server, hostile)
    op = open_page()
    dialogs: list[str] = []
    op.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(op, live_server)
    queue_entry(op, visitor.conversation_id).click()
    op.wait_for_function("() => document.activeElement.id === 'reply'")
    shown = op.locator('#transcript li[data-role="visitor"] .text').first
    assert shown.inner_text() == hostile
    assert hostile in op.locator("#card-body").inner_text()
    op.get_by_role("textbox", name="Reply to visitor").fill("<b>bold</b> <img src=y onerror=alert(3)>")
    op.get_by_role("button", name="Send reply").click()
    op.locator('#transcript li[data-role="operator"] .text', has_text="<b>bold</b>").wait_for()
    assert op.locator("#transcript img, #transcript script, #transcript b, #card-body img, #card-body script").count() == 0
    assert dialogs == []
