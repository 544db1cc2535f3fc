"""The job that fetches a message's files from Twilio, keeps them encrypted, and deletes them there."""

import logging

import httpx
from sqlalchemy import select

from bot.db import transaction
from bot.engine.flow import Text
from bot.engine.texts import MEDIA_REFUSED
from bot.handover import AfterCommit
from bot.media.files import NETWORK, OTHER_HOST, TOO_LARGE, WRONG_TYPE, MediaRules, kind_of
from bot.models import Attachment, Contact, Message, utcnow
from bot.notices import FILE_TOO_LARGE
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.runtime import Runtime
from bot.vocabulary import AttachmentStatus, Channel, Lane

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 30.0  # seconds: a worker is never held long by a stuck download


class TryLater(Exception):
    """Twilio could not answer now (the network, a 5xx, a 429): the file is tried again later."""


class Unavailable(Exception):
    """Twilio will never give this file (a 4xx: deleted, not ours)."""


class TooLarge(Exception):
    """The file is larger than MEDIA_MAX_BYTES."""


def fetch_attachments(runtime: Runtime, message_id: int) -> int:
    """Fetch, keep (encrypted) and delete at Twilio each file of a message still there; how many were stored.

    Idempotent: a file stored and deleted is not touched again. Raises TryLater when one must be tried
    again (RQ retries the job; the sweep queues it again after that).
    """
    with transaction(runtime.database) as db:
        ids = list(
            db.scalars(
                select(Attachment.id).where(
                    Attachment.message_id == message_id,
                    Attachment.url.is_not(None),
                    Attachment.status != AttachmentStatus.FAILED,
                )
            )
        )
    settings = runtime.settings
    stored, later = 0, False
    auth = (settings.twilio_account_sid, settings.twilio_auth_token)
    with httpx.Client(auth=auth, timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
        for attachment_id in ids:
            try:
                stored += _take(runtime, client, attachment_id)
            except TryLater as error:
                log.warning("attachment %s: %s, tried again later", attachment_id, error)
                later = True
    if later:
        raise TryLater(f"message {message_id}: a file is still at Twilio")
    return stored


def _take(runtime: Runtime, client: httpx.Client, attachment_id: int) -> bool:
    """One file: fetched and stored if pending, then deleted at Twilio; True if this run stored it."""
    rules = MediaRules.configured(runtime.settings)
    with transaction(runtime.database) as db:
        attachment = db.get(Attachment, attachment_id)
        if attachment is None or attachment.url is None or attachment.status == AttachmentStatus.FAILED:
            return False
        url, pending = attachment.url, attachment.status == AttachmentStatus.PENDING
        if not rules.at_provider(url):  # TWILIO_API_URL changed since: still never requested elsewhere
            attachment.status, attachment.error, attachment.url = AttachmentStatus.REFUSED, OTHER_HOST, None
            return False
    stored = False
    if pending:
        try:
            body, content_type = download(client, url, rules.max_bytes)
        except TooLarge:
            _refuse(runtime, attachment_id, TOO_LARGE, FILE_TOO_LARGE)
        except Unavailable as error:
            _settle(runtime, attachment_id, AttachmentStatus.FAILED, str(error), url=None)
            return False
        except TryLater as error:
            _attempted(runtime, attachment_id, str(error))
            raise
        else:
            stored = _store(runtime, attachment_id, body, content_type)
    delete(client, url)
    _settle(runtime, attachment_id, None, None, url=None)
    return stored


def download(client: httpx.Client, url: str, max_bytes: int) -> tuple[bytes, str]:
    """The file at `url` and its content type, read no further than `max_bytes`."""
    try:
        with client.stream("GET", url) as response:
            _check(response)
            if int(response.headers.get("content-length") or 0) > max_bytes:
                raise TooLarge()
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise TooLarge()
            return bytes(body), response.headers.get("content-type", "")
    except httpx.TransportError as error:
        raise TryLater(NETWORK) from error


def delete(client: httpx.Client, url: str) -> None:
    """Delete the file's resource at Twilio (the media or recording URL, as `.json`); gone already is done."""
    base, _, last = url.rpartition("/")
    try:
        response = client.delete(f"{base}/{last.split('.')[0]}.json")
    except httpx.TransportError as error:
        raise TryLater(NETWORK) from error
    if response.status_code != 404:
        _check(response)


def _check(response: httpx.Response) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise TryLater(f"http_{status}")
    if status >= 400:
        raise Unavailable(f"http_{status}")


def _store(runtime: Runtime, attachment_id: int, body: bytes, content_type: str) -> bool:
    """Keep the file encrypted, if Twilio's own content type is one baro keeps; True if it was stored."""
    rules = MediaRules.configured(runtime.settings)
    if not rules.takes(content_type):
        _refuse(runtime, attachment_id, WRONG_TYPE, MEDIA_REFUSED)
        return False
    with transaction(runtime.database) as db:
        attachment = db.get(Attachment, attachment_id)
        if attachment is None or attachment.status != AttachmentStatus.PENDING:
            return False
        attachment.content_encrypted = runtime.vault.encrypt_bytes(body)
        attachment.content_type = content_type.split(";")[0].strip()[:100]
        attachment.kind = kind_of(attachment.content_type)
        attachment.size, attachment.stored_at = len(body), utcnow()
        attachment.status, attachment.error = AttachmentStatus.STORED, None
    return True


def _settle(runtime: Runtime, attachment_id: int, status: AttachmentStatus | None, error: str | None, url=None):
    """Set the file's status (None: unchanged) and its URL at Twilio (None: gone there)."""
    with transaction(runtime.database) as db:
        attachment = db.get(Attachment, attachment_id)
        if attachment is not None:
            if status is not None:
                attachment.status, attachment.error = status, error
            attachment.url = url


def _attempted(runtime: Runtime, attachment_id: int, error: str) -> None:
    """Count a try that failed for now; after MEDIA_FETCH_ATTEMPTS, the file is marked failed for staff to see."""
    with transaction(runtime.database) as db:
        attachment = db.get(Attachment, attachment_id)
        if attachment is None:
            return
        attachment.attempts += 1
        attachment.error = error
        if attachment.attempts >= runtime.settings.media_fetch_attempts:
            attachment.status = AttachmentStatus.FAILED


def _refuse(runtime: Runtime, attachment_id: int, error: str, notice: Text) -> None:
    """Refuse a fetched file, and tell the person by text, unless it belongs to a confidential report."""
    after = AfterCommit()
    with transaction(runtime.database) as db:
        attachment = db.get(Attachment, attachment_id)
        if attachment is None or attachment.status != AttachmentStatus.PENDING:
            return
        attachment.status, attachment.error = AttachmentStatus.REFUSED, error
        message = db.get(Message, attachment.message_id)
        contact = db.get(Contact, message.contact_id) if message.contact_id else None
        if message.confidential or contact is None or message.channel not in (Channel.SMS, Channel.WHATSAPP):
            return
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            return
        catalogues = runtime.catalogues
        text = prepare(
            catalogues.text(contact.language or catalogues.default, notice), runtime.settings.alphabet(message.channel)
        )
        after.messages.append((queue_message(db, contact.id, Channel(message.channel), text).id, Lane.REPLY))
    runtime.transactions.hand_over(after)
