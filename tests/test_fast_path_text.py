"""``normalise``'s ASCII fast path gives exactly what the full Unicode path gives."""

from __future__ import annotations

import random

from switchboard.text import _normalise_unicode, normalise


def test_ascii_fast_path_equals_the_unicode_path_on_every_ascii_character():
    every = "".join(chr(c) for c in range(128))
    assert normalise(every) == _normalise_unicode(every)
    for c in range(128):
        text = f"  A{chr(c)}b {chr(c)}{chr(c)}  C\t"
        assert normalise(text) == _normalise_unicode(text), repr(chr(c))


def test_ascii_fast_path_equals_the_unicode_path_on_random_text():
    rng = random.Random(101)
    alphabet = "abcXYZ `'\"\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85 -_0123456789!?.,"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert normalise(text) == _normalise_unicode(text), repr(text)


def test_known_foldings():
    assert normalise("  Don`t   SHOUT\tat me\n") == "don't shout at me"
    assert normalise("Ｍｙ “PHONE” — gone\u200b") == "my \"phone\" - gone"
    assert normalise("") == ""
