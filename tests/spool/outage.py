"""A database outage as the app sees it, and what the person is told meanwhile: for the spool's tests."""

from sqlalchemy import event

FRENCH = "Message reçu, merci. Nous vous répondrons bientôt."
BAMBARA = "Aw ka cikan sɔrɔla, aw ni ce. An bɛna aw jaabi joona."


class Database:
    """The app's connection pool, made unable to connect: what a stopped database server looks like to it.

    The database itself is untouched, so the test reads it through its own engine all along.
    """

    def __init__(self, engine):
        self.engine = engine
        self.available = True
        event.listen(engine, "do_connect", self._connect)

    def _connect(self, dialect, _record, _cargs, _cparams):
        if not self.available:
            raise dialect.dbapi.OperationalError("connection refused (the test stopped the database)")

    def down(self) -> None:
        self.available = False
        self.engine.dispose()  # pooled connections die with the server

    def up(self) -> None:
        self.available = True
