import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(db_url):
    """The whole app on the test database, its lifespan (job queue) running."""
    from app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client
