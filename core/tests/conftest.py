import pytest

from config.celery import app as celery_app
from core.tests.servers import FakeSMTPServer, OwnRedis


@pytest.fixture
def own_redis():
    """A redis-server of this test's own (port 16410-16419), stopped at the end."""
    server = OwnRedis().start()
    yield server
    server.remove()


@pytest.fixture
def real_broker(own_redis):
    """Celery not eager, publishing to the test's own Redis: the real publish path."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = own_redis.url
    celery_app.conf.task_always_eager = False
    yield own_redis
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved


@pytest.fixture
def smtp_server(settings):
    server = FakeSMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    yield server
    server.stop()  # idempotent: a test may have stopped it already
