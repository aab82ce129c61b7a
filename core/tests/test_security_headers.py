"""Security headers and `check --deploy` with the production settings README.md documents."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "x7Vq-production-like-secret-key-for-the-test-3kLm9Pq2Rs8Tu4Vw6Yz0Ab1Cd5Ef",
    "ALLOWED_HOSTS": "shop.example.ua",
    "CSRF_TRUSTED_ORIGINS": "https://shop.example.ua",
    "SITE_URL": "https://shop.example.ua",
    "NOVA_POSHTA_API_KEY": "np-key",
    "PAYMENTS_SANDBOX": "false",
    "FONDY_MERCHANT_ID": "1396424",
    "FONDY_SECRET": "test",
    # nothing here may touch the shared services
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:16409/0",
}
CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self' https:",
}


def directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def run_production(*args, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


HEADERS_SCRIPT = """
import json, django
django.setup()
from django.test import Client
c = Client()
secure = c.get("/health/live/", secure=True, HTTP_HOST="shop.example.ua")
plain = c.get("/cart/", HTTP_HOST="shop.example.ua")
probe = c.get("/health/live/", HTTP_HOST="shop.example.ua")
print(json.dumps({
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csp": secure.headers.get("Content-Security-Policy"),
    "permissions": secure.headers.get("Permissions-Policy"),
    "redirect": [plain.status_code, plain.headers.get("Location")],
    "probe": probe.status_code,
}))
"""


def production_headers(**env) -> dict:
    result = run_production("-c", HEADERS_SCRIPT, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_csp_and_permissions_policy_and_redirects_to_https():
    headers = production_headers()

    assert headers["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert directives(headers["csp"]) == CSP
    assert headers["permissions"].startswith("camera=(), microphone=(), geolocation=(), payment=()")
    assert headers["redirect"] == [301, "https://shop.example.ua/cart/"]
    assert headers["probe"] == 200  # the container's plain-HTTP health probe is not redirected


def test_hsts_can_be_switched_off():
    assert production_headers(SECURE_HSTS_SECONDS="0")["hsts"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/account/login/", "/admin/login/", "/api/docs/"])
def test_every_page_has_the_csp_and_permissions_policy(url):
    response = Client().get(url)

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == CSP
    assert response["Permissions-Policy"].startswith("camera=()")


@pytest.mark.django_db
def test_swagger_ui_loads_its_start_up_script_from_a_url():
    page = Client().get("/api/docs/").content.decode()
    assert re.search(r"<script>\s*\S", page) is None
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text()
            if INLINE_SCRIPT.search(text) or HANDLER.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
