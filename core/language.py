"""Which language a visitor is writing in (English or Welsh).

Welsh forces must answer in Welsh when contacted in Welsh. The detector is a cheap word-list vote:
common Welsh function words and greetings that rarely occur in English. It answers ``"cy"``,
``"en"``, or ``None`` when the text is too short or mixed to say.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zâêîôûŵŷáéíóúàèìòùäëïöüẅÿ']+")

_WELSH = frozenset(
    """
    a'r ac am ar bod bore chi chdi cymraeg cymru da diolch dw dwi dydd dyn eich ein ei fy fe fi
    gallu gan gwybod gyda hefyd heddiw helo heddlu hi hwn hwyl i'r mae maen mewn nid nos noswaith
    oes oedd os pam pan plis prynhawn rhaid rhywun shwmae sut sy sydd syr tŷ wedi wrth yma ydw ydy
    ydych ym yn yr ysgol ddim eisiau isio moyn car cymydog cymdogion swn sŵn nghar ngharden
    lladrad dwyn dwyn wedi'i adrodd riportio rhif cyfeirnod trosedd ffôn ffon e-bost ble pryd
    beth pwy croeso bore'r nawr rwan rŵan cymorth help angen
    """.split()
)
_ENGLISH = frozenset(
    """
    the and is was i my to a of in it on for have has with at this that there he she they we you
    be are not been had his her our your me im i'm its it's just can what when where who how
    """.split()
)
# Words that are common in both and must not count.
_AMBIGUOUS = frozenset({"a", "i", "car", "help", "fe", "ei", "am", "os", "hi", "is", "dyn"})


def detect_language(text: str) -> str | None:
    words = _WORD.findall(text.casefold())
    if len(words) < 2:
        return "cy" if words and words[0] in {"shwmae", "helo", "diolch", "cymraeg", "bore", "noswaith"} - {"helo"} else None
    cy = sum(1 for w in words if w in _WELSH and w not in _AMBIGUOUS)
    en = sum(1 for w in words if w in _ENGLISH and w not in _AMBIGUOUS)
    if cy >= 2 and cy > en:
        return "cy"
    if en >= 1 and en >= cy:
        return "en"
    return None
