"""A database outage as the app sees it, and what the person is told meanwhile: for the spool's tests."""

from sqlalchemy import event

from bot.outbound.gsm7 import to_gsm

FRENCH = "Message reçu, merci. Nous vous répondrons bientôt."
BAMBARA = "Aw ka cikan sɔrɔla, aw ni ce. An bɛna aw jaabi joona."
# A number whose language the spool does not know is told in every language: 104 characters, which an SMS
# carries folded (SMS_ALPHABET=auto: one GSM-7 SMS, not two UCS-2 parts); a USSD screen keeps them as written.
EVERY_LANGUAGE = f"{FRENCH}\n{BAMBARA}"
EVERY_LANGUAGE_BY_SMS = to_gsm(EVERY_LANGUAGE)


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
