"""Turn what visitors type into canonical tokens the keyword matcher can read.

The same pipeline runs over rule phrases at load time and over every message, so a rule author
writes ordinary English ("he's got a knife") and it matches "hes got a knif", "HE'S GOT A KNIFE"
and "he’s got a knife".

Steps, per token:

1. fold: NFKC, curly quotes and dashes straightened, case-folded (``switchboard.text.normalise``
   semantics), keeping a map from every folded character back to the visitor's text;
2. split into word tokens (letters, digits, inner apostrophes); clause punctuation (``. , ; ! ?``)
   becomes a ``|`` boundary token so phrases and negation never reach across a sentence;
3. contractions expanded ("he's" -> "he is", "can't" -> "can not", "they'd" -> "they d");
4. text-speak and common misspellings from ``lexicon.toml`` ("some1" -> "someone", "rn" ->
   "right now", "knif" -> "knife"); leet digits ("k1ll") are tried against the vocabulary;
5. inflections folded to a lemma for the verbs and nouns the lexicon lists ("stabbed",
   "stabbing", "stabs" -> "stab"), so "scared" stays "scared" and never becomes "scar".

Every canonical token remembers the character span of the visitor's token it came from, so a
signal can quote what the visitor actually wrote.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from switchboard.errors import DataError
from switchboard.text import normalise as _core_normalise

LEXICON_PATH = Path(__file__).resolve().parent / "lexicon.toml"

#: Boundary token inserted for clause punctuation; never part of a phrase.
BOUNDARY = "|"

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,;:!?]+|&")
_CLAUSE = frozenset(".,;:!?")

# Contractions: suffix -> replacement tokens (the stem is kept, except for the n't special cases).
_NT_SPECIAL = {"can't": ("can", "not"), "won't": ("will", "not"), "shan't": ("shall", "not"),
               "ain't": ("is", "not")}
_PRONOUN_S = frozenset({"he", "she", "it", "there", "that", "who", "what", "here", "where", "how",
                        "someone", "somebody", "everyone", "nobody", "one", "this", "let"})
_SUFFIXES = (("n't", ("not",)), ("'re", ("are",)), ("'ll", ("will",)), ("'ve", ("have",)),
             ("'m", ("am",)), ("'d", ("d",)))
_LEET = str.maketrans({"1": "i", "3": "e", "4": "a", "0": "o", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"})


#: A canonical token: ``(text, start, end, surface)``; ``start``/``end`` index the visitor's text
#: and ``surface`` is the folded visitor word it came from. Plain tuples keep tokenising cheap.
Token = tuple[str, int, int, str]
TEXT, START, END, SURFACE = range(4)
_CACHE_LIMIT = 50_000


@dataclass
class Lexicon:
    """Token tables read from ``lexicon.toml`` (text-speak, typos, inflections, context cues)."""

    replace: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lemma: dict[str, str] = field(default_factory=dict)
    cues: dict[str, list[str]] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)
    #: folded word -> canonical tokens (filled as messages are read; cleared when tables change)
    cache: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def expand(self, word: str) -> tuple[str, ...]:
        """Canonical tokens for one folded word token as the tokeniser found it."""
        first = word[0]
        if first in _CLAUSE:
            return (BOUNDARY,)
        if first == "&":
            return ("and",)
        out: list[str] = []
        for part in _split_contraction(word) if "'" in word else (word,):
            for tok in self.canonical_word(part):
                out.extend(tok.split()) if " " in tok else out.append(tok)
        return tuple(out)

    def canonical_word(self, word: str) -> tuple[str, ...]:
        """Canonical tokens for one folded word (after contraction expansion)."""
        out = self.replace.get(word)
        if out is None:
            if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
                leet = word.translate(_LEET)
                leet_out = self.replace.get(leet)
                if leet_out is not None:
                    return tuple(self.lemma.get(w, w) for w in leet_out)
                leet = self.lemma.get(leet, leet)
                if leet in self.vocabulary:
                    return (leet,)
            return (self.lemma.get(word, word),)
        return tuple(self.lemma.get(w, w) for w in out)

    def add_typos_for(self, words: Iterable[str]) -> None:
        """Accept one-letter slips (a dropped or swapped letter, not the first) for long words.

        Only words of seven letters or more, and never a variant that is itself a known word,
        so "shooting" accepts "shootin" and "shootnig" but nothing collides with real vocabulary.
        """
        self.cache.clear()
        known = self.vocabulary | set(self.replace) | set(self.lemma)
        for word in sorted(words):
            if len(word) < 7 or not word.isalpha():
                continue
            variants = {word[:i] + word[i + 1:] for i in range(1, len(word))}
            variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(1, len(word) - 1)}
            for v in variants:
                if v != word and v not in known and v not in self.replace:
                    self.replace[v] = (word,)


def _fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """Fold ``text``; return the folded string and, unless identical in length, a char map."""
    if text.isascii():
        return text.lower(), None
    folded: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = _core_normalise(ch) if not ch.isspace() else " "
        if not f and not ch.isspace():
            continue  # zero-width and direction marks vanish
        for c in f or " ":
            folded.append(c)
            index.append(i)
    return "".join(folded), index


def _split_contraction(word: str) -> tuple[str, ...]:
    if "'" not in word:
        return (word,)
    if word in _NT_SPECIAL:
        return _NT_SPECIAL[word]
    if word.endswith("'s"):
        stem = word[:-2]
        return (stem, "is") if stem in _PRONOUN_S else (stem,)
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[: -len(suffix)], *repl)
    return (word.replace("'", ""),)


def tokenise(text: str, lexicon: Lexicon) -> list[Token]:
    """Canonical tokens of ``text`` with spans into ``text`` (see the module docstring)."""
    folded, index = _fold_with_map(text)
    tokens: list[Token] = []
    append = tokens.append
    cache = lexicon.cache
    for m in _TOKEN.finditer(folded):
        word = m.group()
        canon = cache.get(word)
        if canon is None:
            canon = lexicon.expand(word)
            if len(cache) < _CACHE_LIMIT:
                cache[word] = canon
        s, e = m.span()
        if index is not None:
            s, e = index[s], index[e - 1] + 1
        if canon[0] == BOUNDARY:
            if tokens and tokens[-1][0] != BOUNDARY:
                append((BOUNDARY, s, e, word))
            continue
        for tok in canon:
            append((tok, s, e, word))
    return tokens


def canonical_phrase(phrase: str, lexicon: Lexicon) -> str:
    """The canonical, space-joined form of a rule phrase (empty when nothing is left)."""
    return " ".join(t[TEXT] for t in tokenise(phrase, lexicon) if t[TEXT] != BOUNDARY)


# --- loading the lexicon -----------------------------------------------------------------------

_LEXICON_KEYS = {"textspeak", "typos", "synonyms", "lemmas", "cues"}
_CUE_KEYS = {"now", "soft_now", "past", "past_near", "habitual", "question", "negators", "clause_breaks", "frame"}


def _inflect(lemma: str) -> list[str]:
    """Regular English forms of a verb or noun: -s/-es, -ed/-d, -ing, with the usual spelling rules."""
    vowels = "aeiou"
    forms = []
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        forms.append(lemma + "es")
    elif lemma.endswith("y") and len(lemma) > 1 and lemma[-2] not in vowels:
        forms.append(lemma[:-1] + "ies")
    else:
        forms.append(lemma + "s")
    cvc = (
        len(lemma) <= 4 and len(lemma) >= 3 and lemma[-1] not in vowels + "wxy"
        and lemma[-2] in vowels and lemma[-3] not in vowels
    )
    if lemma.endswith("e"):
        forms.append(lemma + "d")
        forms.append(lemma[:-2] + "ying" if lemma.endswith("ie") else (lemma + "ing" if lemma.endswith("ee") else lemma[:-1] + "ing"))
    elif lemma.endswith("y") and len(lemma) > 1 and lemma[-2] not in vowels:
        forms.extend([lemma[:-1] + "ied", lemma + "ing"])
    elif cvc:
        forms.extend([lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"])
    else:
        forms.extend([lemma + "ed", lemma + "ing"])
    return forms


def _str_list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(where, "expected a string or a list of strings")
    return list(value)


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read and validate ``lexicon.toml``; errors name the file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(str(path), "lexicon file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"invalid TOML: {exc}") from None
    for key in data:
        if key not in _LEXICON_KEYS:
            raise DataError(f"{path}: {key}", "unknown section")
    lex = Lexicon()
    # Lemmas first: text-speak replacements are lemmatised through this table.
    lemmas: Mapping[str, object] = data.get("lemmas", {})
    for lemma, forms in lemmas.items():
        explicit = _str_list(forms, f"{path}: lemmas.{lemma}")
        for form in explicit or _inflect(lemma):
            if form != lemma and form not in lemmas:
                lex.lemma.setdefault(form, lemma)
    for section in ("synonyms", "typos", "textspeak"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise DataError(f"{path}: {section}", "must be a table")
        for src, dst in table.items():
            if not isinstance(dst, str) or not dst.strip():
                raise DataError(f"{path}: {section}.{src}", "replacement must be a non-empty string")
            lex.replace[_core_normalise(src)] = tuple(_core_normalise(dst).split())
    cues = data.get("cues", {})
    for key, value in cues.items():
        if key not in _CUE_KEYS:
            raise DataError(f"{path}: cues.{key}", "unknown cue list")
        lex.cues[key] = _str_list(value, f"{path}: cues.{key}")
    return lex
