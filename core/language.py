"""Which language a visitor is writing in (English or Welsh).

Welsh forces must answer in Welsh when contacted in Welsh. The detector is a cheap word-list vote:
common Welsh function words and greetings that rarely occur in English. It answers ``"cy"``,
``"en"``, or ``None`` when the text is too short or mixed to say.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zâêîôûŵŷáéíóúàèìòùäëïöüẅÿ']+")

# Welsh function words, verb forms and chat words. Deliberately few nouns that appear in place and
# street names ("ysgol", "tŷ", "heol", "ffordd", "pont"), so an English visitor typing a Welsh
# address is not switched to Welsh.
_WELSH = frozenset(
    """
    a'r ac am ar bod bore chi chdi cymraeg dw dwi dydd eich ein ei fy fe fi
    gallu gan gwybod gyda hefyd heddiw helo heddlu hi hwn hwyl i'r mae maen mewn nid nos noswaith
    oes oedd os pam pan plis prynhawn rhaid rhywun shwmae sut sy sydd syr wedi wrth yma ydw ydy
    ydych ym yn yr ddim eisiau isio moyn cymydog cymdogion swn sŵn nghar ngharden
    lladrad dwyn wedi'i adrodd riportio rhif cyfeirnod trosedd ffôn ffon e-bost ble pryd
    beth pwy croeso bore'r nawr rwan rŵan cymorth help angen
    cafodd ddwyn neithiwr ddoe rydw rwy rwyf roedd roeddwn hoffwn wnaeth wnes gwelais gweld cael ges
    gen nhw fod iawn hefo efo achos eto rhywbeth unrhyw gyda'r mi ni dydw dydy nac naddo ie diolch
    yw ydi oedden gwneud dweud wedyn rŵan heno fory yfory pethau pobl plant tu allan
    """.split()
)
_ENGLISH = frozenset(
    """
    the and is was i my to a of in it on for have has with at this that there he she they we you
    be are not been had his her our your me im i'm its it's just can what when where who how
    from by about would could should will did does do some someone something no yes please thanks
    """.split()
)
# Words that are common in both and must not count.
_AMBIGUOUS = frozenset({"a", "i", "car", "help", "fe", "ei", "am", "os", "hi", "is", "dyn", "mi", "ni", "pan",
                        "plant", "tu", "gen", "bod", "sy", "ym"})
_WELSH_LETTERS = re.compile("[ŵŷ]")
_SINGLE_WORDS = frozenset({"shwmae", "cymraeg", "noswaith", "ydw", "ydy", "oes", "naddo", "nac",
                           "rydw", "dwi", "hoffwn", "ble", "pryd", "beth", "sut", "pam"})


#: A byte table (much faster than a str one) blanking every ASCII character but [a-z'].
_ASCII_NON_WORD = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz'" else 32 for c in range(256))
_WELSH_ONLY = _WELSH - _AMBIGUOUS
_ENGLISH_ONLY = _ENGLISH - _AMBIGUOUS


def detect_language(text: str) -> str | None:
    """``"cy"`` or ``"en"`` when the words say so, ``None`` when too short or mixed to tell."""
    folded = text.casefold().replace("\u2019", "'")
    # for ASCII text the word pattern's runs are those of [a-z'] (blank the rest and split)
    if folded.isascii():
        words = folded.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split()
    else:
        words = _WORD.findall(folded)
    if len(words) < 2:
        return "cy" if words and (words[0] in _SINGLE_WORDS or _WELSH_LETTERS.search(words[0])) else None
    if _WELSH_LETTERS.search(folded) is None:  # no word has ŵ or ŷ: count by the word lists alone
        cy = sum(map(_WELSH_ONLY.__contains__, words))
    else:
        cy = sum(1 for w in words if (w in _WELSH or _WELSH_LETTERS.search(w)) and w not in _AMBIGUOUS)
    en = sum(map(_ENGLISH_ONLY.__contains__, words))
    if cy >= 2 and cy > en:
        return "cy"
    if en >= 1 and en >= cy:
        return "en"
    return None
