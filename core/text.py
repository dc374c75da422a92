"""Text normalisation shared by the core and the built-in plugins.

``normalise`` is deliberately cheap (it runs on every message): NFKC folding (full-width letters,
ligatures, compatibility forms), removal of zero-width and control characters, curly quotes and
dashes straightened, case folded, white space collapsed. Plugins that need more (text-speak,
spelling variants) build on it.
"""

from __future__ import annotations

import re
import unicodedata

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",
        # zero-width and direction marks vanish
        "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
        "\u200e": None, "\u200f": None, "\u00ad": None,
    }
)
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Make received text safe to store and show: NFC, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return text.strip()


def normalise(text: str) -> str:
    """Fold text for matching: NFKC, straight quotes, case-folded, single spaces."""
    if text.isascii():
        # The same result, several times faster: NFKC leaves ASCII alone, the only ASCII
        # character translated is the backtick, casefold is lower, and ``\s`` and str.split()
        # agree on what white space is.
        if "`" in text:
            text = text.replace("`", "'")
        return " ".join(text.lower().split())
    return _normalise_unicode(text)


def _normalise_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = text.casefold()
    return _SPACE.sub(" ", text).strip()


def char_wb_grams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    """The ``char_wb`` n-grams of one word (no white space in it), in scikit-learn's order.

    The word is padded with a space each side; a padded word no longer than ``n`` gives itself
    once and no longer n-grams (scikit-learn's ``_char_wb_ngrams``). Shared by the classifiers'
    fast paths and guidance retrieval, which cache them per word.
    """
    w = " " + word + " "
    w_len = len(w)
    lo, hi = ngram_range
    out: list[str] = []
    for n in range(lo, hi + 1):
        if w_len <= n:
            out.append(w)
            break
        out += [w[i : i + n] for i in range(w_len - n + 1)]
    return out
