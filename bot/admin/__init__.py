"""The staff pages at /admin: HTTP only, over the cases domain (bot.cases)."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
