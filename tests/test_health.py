"""The health check a load balancer or `make run` polls: up when the database and Redis answer.

The Twilio messaging webhook that this module used to specify is in
tests/channels/test_twilio_messaging.py, with the other channel adapters under tests/channels/.
"""


def test_health_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "up", "redis": "up"}
