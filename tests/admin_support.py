"""Helpers for staff-side tests: accounts, logged-in clients, submissions to triage."""

import re

from sqlalchemy import select

from bot.accounts import create_user
from bot.db import transaction
from bot.models import Feedback

PASSWORD = "correct horse battery staple"


def make_staff(runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> int:
    with transaction(runtime.database) as db:
        return create_user(db, email, role, PASSWORD, list(sites)).id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client, email: str, password: str = PASSWORD):
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": "/admin"},
        follow_redirects=False,
    )


def submit_complaint(phone, text: str = "Les latrines débordent", site: str = "1", category: str = "2") -> None:
    """A consented French speaker files a complaint by SMS."""
    phone.converse("Bonjour", "1", "1", "1", site, category, text)


def feedback_by_text(runtime, text: str) -> Feedback:
    with runtime.database() as db:
        return db.scalar(select(Feedback).where(Feedback.text == text))
