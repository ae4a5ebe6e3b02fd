from datetime import timedelta

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.services import _set_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    u = User.objects.create(username="zhangwei", password_changed_at=timezone.now())
    return u


@pytest.mark.parametrize(
    "password,ok",
    [
        ("Abcdef1!", True),  # 8 chars, 4 classes
        ("abcdef12!", True),  # 3 classes
        ("Abc1!", False),  # too short
        ("abcdefghij", False),  # one class
        ("abcdefgh12", False),  # two classes
        ("Zhangwei#2026", False),  # contains the user name
        ("Password1!", False),  # common password (Django's list is lower-cased)
        ("Aa1!" * 16, True),  # 64 characters accepted
    ],
)
def test_password_rules(user, password, ok):
    if ok:
        password_validation.validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            password_validation.validate_password(password, user)


def test_argon2_is_used(user):
    user.set_password("Abcdef1!x")
    assert user.password.startswith("argon2")


def test_last_five_passwords_cannot_be_reused(user):
    passwords = [f"Gr1d-Pass-{i}!" for i in range(7)]
    for p in passwords[:6]:
        _set_password(user, p, actor=user)
    # The current one and the five before it are refused; the oldest is free again.
    for p in passwords[1:6]:
        with pytest.raises(Exception, match="does not meet"):
            _set_password(user, p, actor=user)
    _set_password(user, passwords[0], actor=user)
    assert user.password_history.count() <= 4


def test_max_age(user):
    from gridgov.accounts.services import password_expired

    user.must_change_password = False
    user.password_changed_at = timezone.now() - timedelta(days=89)
    assert not password_expired(user)
    user.password_changed_at = timezone.now() - timedelta(days=91)
    assert password_expired(user)
    user.is_demo = True
    assert not password_expired(user)
