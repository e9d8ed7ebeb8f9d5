"""Where the student key secret comes from."""

import stat

from orchestration.settings import SECRET_ENV, ensure_student_key_secret


def test_a_warehouse_without_the_variable_gets_its_own_private_secret_once(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = ensure_student_key_secret(tmp_path)
    path = tmp_path / "secrets" / "student_key.secret"
    assert len(first) == 64 and path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv(SECRET_ENV)
    assert ensure_student_key_secret(tmp_path) == first  # stable across runs of the same warehouse
    monkeypatch.delenv(SECRET_ENV)
    assert ensure_student_key_secret(tmp_path / "other") != first


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "from-the-secret-store")
    assert ensure_student_key_secret(tmp_path) == "from-the-secret-store"
    assert not (tmp_path / "secrets").exists()
