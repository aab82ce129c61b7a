"""Production (DEBUG=false) refuses the development stand-ins unless a staging switch says so."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from core.checks import DEV_SECRET_KEY, production_refuses_sandboxes

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 60


@pytest.fixture
def production(settings):
    """Production mode on every stand-in: no Nova Poshta key, the sandbox gateway, the dev key."""
    settings.DEBUG = False
    settings.SECRET_KEY = DEV_SECRET_KEY
    settings.NOVA_POSHTA_API_KEY = ""
    settings.ALLOW_SANDBOX_IN_PRODUCTION = False
    settings.PAYMENT_PROVIDERS = {
        **django_settings.PAYMENT_PROVIDERS,
        "sandbox": {**django_settings.PAYMENT_PROVIDERS["sandbox"], "enabled": True, "secret": DEV_SECRET_KEY},
    }
    return settings


def ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_every_stand_in_is_an_error_naming_its_variable(production):
    errors = production_refuses_sandboxes()

    assert ids(errors) == ["kramar.E001", "kramar.E002", "kramar.E003", "kramar.E004"]
    assert all(e.is_serious() for e in errors)
    assert [e.msg.split(" ")[0] for e in errors] == [
        "SECRET_KEY",
        "NOVA_POSHTA_API_KEY",
        "PAYMENTS_SANDBOX",
        "PAYMENTS_SANDBOX_SECRET",
    ]


def test_a_configured_production_passes(production):
    production.SECRET_KEY = GOOD_KEY
    production.NOVA_POSHTA_API_KEY = "np-key"
    production.PAYMENT_PROVIDERS = {
        **production.PAYMENT_PROVIDERS,
        "sandbox": {**production.PAYMENT_PROVIDERS["sandbox"], "enabled": False},
    }
    assert production_refuses_sandboxes() == []


def test_development_is_left_alone(production):
    production.DEBUG = True
    assert production_refuses_sandboxes() == []


def test_the_staging_switch_allows_the_sandboxes_but_never_the_dev_key(production):
    production.ALLOW_SANDBOX_IN_PRODUCTION = True
    assert ids(production_refuses_sandboxes()) == ["kramar.E001"]
    production.SECRET_KEY = GOOD_KEY
    assert production_refuses_sandboxes() == []


BANNER = (
    "Тестовий сайт: тут усе несправжнє. Увімкнено: тестовий перевізник (NOVA_POSHTA_API_KEY не задано); "
    "тестовий платіжний шлюз (PAYMENTS_SANDBOX=true); секрет вебхуків тестового шлюзу береться з "
    "SECRET_KEY (PAYMENTS_SANDBOX_SECRET не задано)."
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/cart/", "/account/login/", "/admin/login/"])
def test_a_staging_site_shows_a_banner_on_every_page(production, url):
    production.ALLOW_SANDBOX_IN_PRODUCTION = True
    production.SECRET_KEY = GOOD_KEY
    production.PAYMENT_PROVIDERS["sandbox"]["secret"] = GOOD_KEY

    response = Client().get(url)

    assert response.status_code == 200
    assert '<p class="staging-banner" role="alert"' in response.content.decode()
    assert BANNER in response.content.decode()


@pytest.mark.django_db
def test_a_real_site_shows_no_banner(production):
    production.NOVA_POSHTA_API_KEY = "np-key"
    production.PAYMENT_PROVIDERS["sandbox"]["enabled"] = False
    assert "staging-banner" not in Client().get("/").content.decode()


# --- the entry points refuse to start --------------------------------------------------------


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PAYMENTS_", "NOVA_POSHTA", "SECRET"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        PAYMENTS_SANDBOX="true",
        # nothing here may touch the shared services
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="redis://127.0.0.1:16409/0",
        **extra,
    )
    return env


def run(*args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*args], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("command", [["check", "--deploy"], ["migrate", "--plan"]])
def test_manage_py_refuses(command):
    result = run(sys.executable, "manage.py", *command)

    assert result.returncode == 1
    for variable in ("SECRET_KEY", "NOVA_POSHTA_API_KEY", "PAYMENTS_SANDBOX", "PAYMENTS_SANDBOX_SECRET"):
        assert f"{variable} " in result.stderr
    assert "kramar.E002" in result.stderr


def test_the_web_entry_point_refuses():
    result = run(sys.executable, "-c", "import config.wsgi")

    assert result.returncode == 1
    assert "kramar web refuses to start:" in result.stderr
    assert "kramar.E002: NOVA_POSHTA_API_KEY is not set" in result.stderr


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_the_celery_entry_points_refuse(role, tmp_path):
    celery = str(Path(sys.executable).parent / "celery")
    # (beat on a file schedule here: the database one would need the tables before the refusal)
    beat = ["beat", "--scheduler=celery.beat:PersistentScheduler", f"--schedule={tmp_path / 'schedule'}"]
    args = ["worker", "--pool=solo"] if role == "worker" else beat

    result = run(celery, "-A", "config", *args, "-l", "error", timeout=90)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"kramar {role} refuses to start:" in output
    assert "kramar.E003: PAYMENTS_SANDBOX is on" in output
