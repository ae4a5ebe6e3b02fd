"""`gridgov check --deploy` refuses each production gap with a clear message (SECURITY.md A6,
E1, E2): the field key file missing, readable by others or the demo key; ALLOWED_HOSTS left
at its local defaults; an active demo account; a missing SECRET_KEY or GRIDGOV_KEY_FILE."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def _key_file(path, mode=0o600):
    path.write_text(
        json.dumps(
            {
                "active": "k1",
                "keys": {"k1": {"sm4": secrets.token_hex(16), "hmac": secrets.token_hex(32)}},
            }
        )
    )
    path.chmod(mode)
    return path


def _production_env(tmp_path, **overrides):
    """A production environment that passes every check; each test breaks one thing."""
    keys_dir = tmp_path / "etc"
    keys_dir.mkdir(exist_ok=True)
    env = {
        "GRIDGOV_MODE": "production",
        "SECRET_KEY": "x" * 30 + "Y7#kq9ZpL2@vR5nW8$tB3mE6&cH1jF4",
        "GRIDGOV_KEY_FILE": str(_key_file(keys_dir / "field_keys.json")),
        "GRIDGOV_BACKUP_KEY_FILE": str(keys_dir / "backup_key.json"),
        "DATABASE_URL": "postgres://gridgov@db.example.gov.cn:5432/gridgov?sslmode=verify-full",
        "ALLOWED_HOSTS": "gridgov.example.gov.cn",
        "GRIDGOV_DATA_DIR": str(tmp_path / "data"),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _check(env_extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY", "GRIDGOV_KEY_FILE", "ALLOWED_HOSTS"}
    }
    env.update(env_extra)
    result = subprocess.run(
        [sys.executable, "-m", "gridgov.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def test_the_reference_production_environment_passes(tmp_path):
    code, output = _check(_production_env(tmp_path))
    assert code == 0, output


def _deploy_errors(settings, **overrides) -> str:
    """``gridgov check --deploy`` in this process, in production mode, with ``overrides``:
    the text of the errors it refuses with ("" when none)."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.PRODUCTION = True
    for name, value in overrides.items():
        setattr(settings, name, value)
    try:
        call_command("check", deploy=True, fail_level="ERROR")
    except SystemCheckError as exc:
        return str(exc)
    return ""


def test_a_missing_key_file_fails(tmp_path, settings):
    code, output = _check(_production_env(tmp_path, GRIDGOV_KEY_FILE=str(tmp_path / "none.json")))
    assert code != 0 and "gridgov.E007" in output and "none.json" in output
    assert "Traceback" not in output


def test_a_key_file_others_can_read_fails(tmp_path, settings):
    loose = _key_file(tmp_path / "loose.json", 0o644)
    code, output = _check(_production_env(tmp_path, GRIDGOV_KEY_FILE=str(loose)))
    assert code != 0 and "gridgov.E008" in output and "chmod 600" in output
    for mode in (0o640, 0o604, 0o660, 0o602):
        loose.chmod(mode)
        assert "gridgov.E008" in _deploy_errors(settings, FIELD_KEY_FILE=loose), oct(mode)
    loose.chmod(0o600)
    assert "gridgov.E008" not in _deploy_errors(settings, FIELD_KEY_FILE=loose)


def test_the_demo_key_fails(tmp_path, settings):
    """The key demo mode generated, wherever it was copied, and the demo location itself."""
    from gridgov.core import crypto

    settings.FIELD_KEY_FILE = tmp_path / "demo-data" / "field_keys.json"
    crypto.keyring.cache_clear()
    try:
        crypto.keyring()  # demo mode creates its key file on first use
    finally:
        crypto.keyring.cache_clear()
    copied = tmp_path / "copied.json"
    copied.write_text(settings.FIELD_KEY_FILE.read_text())
    copied.chmod(0o600)
    code, output = _check(_production_env(tmp_path, GRIDGOV_KEY_FILE=str(copied)))
    assert code != 0 and "gridgov.E009" in output, output

    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    in_data_dir = _key_file(data_dir / "field_keys.json")
    errors = _deploy_errors(settings, DATA_DIR=data_dir, FIELD_KEY_FILE=in_data_dir)
    assert "gridgov.E009" in errors
    elsewhere = _key_file(tmp_path / "field_keys.json")
    assert "gridgov.E009" not in _deploy_errors(settings, FIELD_KEY_FILE=elsewhere)


def test_a_broken_key_file_fails_clearly(tmp_path, settings):
    broken = tmp_path / "broken.json"
    broken.write_text('{"active": "k1"')
    broken.chmod(0o600)
    errors = _deploy_errors(settings, FIELD_KEY_FILE=broken)
    assert "gridgov.E010" in errors and "broken.json" in errors
    broken.write_text('{"active": "k2", "keys": {"k1": {"sm4": "00", "hmac": "00"}}}')
    assert "gridgov.E010" in _deploy_errors(settings, FIELD_KEY_FILE=broken)


def test_allowed_hosts_left_at_local_defaults_fail(tmp_path, settings):
    code, output = _check(_production_env(tmp_path, ALLOWED_HOSTS=None))
    assert code != 0 and "gridgov.E011" in output, output
    for hosts in (["localhost"], ["127.0.0.1", "::1"], ["*"], ["gridgov.example.gov.cn", "*"]):
        assert "gridgov.E011" in _deploy_errors(settings, ALLOWED_HOSTS=hosts), hosts
    for hosts in (["gridgov.example.gov.cn"], ["gridgov.example.gov.cn", "localhost"]):
        assert "gridgov.E011" not in _deploy_errors(settings, ALLOWED_HOSTS=hosts), hosts


def test_a_missing_secret_key_is_a_clear_message(tmp_path):
    code, output = _check(_production_env(tmp_path, SECRET_KEY=None))
    assert code != 0 and "gridgov.E005" in output and "SECRET_KEY" in output
    assert "KeyError" not in output and "Traceback" not in output


def test_a_missing_key_file_variable_is_a_clear_message(tmp_path):
    code, output = _check(_production_env(tmp_path, GRIDGOV_KEY_FILE=None))
    assert code != 0 and "gridgov.E006" in output and "GRIDGOV_KEY_FILE" in output
    assert "KeyError" not in output and "Traceback" not in output


def test_an_active_demo_account_fails(settings, make_user):
    """Run in this process, against the test database: the check reads the accounts."""

    def demo_errors() -> str:
        return _deploy_errors(settings)

    assert "gridgov.E012" not in demo_errors()
    demo = make_user(username="demo_grid", is_demo=True)
    assert "gridgov.E012" in demo_errors()
    demo.is_active = False
    demo.save(update_fields=["is_active"])
    assert "gridgov.E012" not in demo_errors()
