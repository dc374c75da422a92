from __future__ import annotations

import stat
import threading

from switchboard.web.app import session_secret


def test_secret_is_created_once_private_and_shared(sb_settings):
    settings = sb_settings()
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(session_secret(settings))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys[0]) > 40
    path = settings.data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_secret(settings) == keys[0]
    assert [p.name for p in settings.data_dir.iterdir() if p.name.startswith(".secret_key")] == []


def test_secret_from_environment_wins(sb_settings):
    import dataclasses

    settings = dataclasses.replace(sb_settings(), secret_key="from-env")
    assert session_secret(settings) == "from-env"
    assert not (settings.data_dir / "secret_key").exists()
