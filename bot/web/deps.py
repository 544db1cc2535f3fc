"""Everything a route may ask for, as typed `Annotated` dependencies: the one place that reads `app.state`."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from bot.accounts import staff_for_login, user_for_token
from bot.cases.access import organizes, works_at_desk
from bot.config import Settings
from bot.models import StaffUser
from bot.runtime import Runtime
from bot.vocabulary import Role
from bot.web.pages import Interface
from bot.web.security import LOGIN_KEY, AdminsOnly, DeskOnly, LoginRequired, OrganizersOnly, csrf_is_valid


async def _runtime(request: Request) -> Runtime:  # async: FastAPI runs a plain function in a thread
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def _settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _interface(request: Request) -> Interface:
    return request.app.state.interface


InterfaceDep = Annotated[Interface, Depends(_interface)]


def _db(runtime: RuntimeDep) -> Iterator[Session]:
    """A database session for the request; the route commits what it changes."""
    with runtime.database() as db:
        yield db


DbDep = Annotated[Session, Depends(_db)]


def _staff(request: Request, db: DbDep) -> StaffUser:
    """The signed-in staff member, for pages: the login cookie's token must name a login the server still keeps
    (logout, a password reset or disabling the account end it), of an active account."""
    user = staff_for_login(db, request.session.get(LOGIN_KEY))
    if user is None:
        raise LoginRequired()
    request.state.user = user  # every page shows who is signed in
    return user


StaffDep = Annotated[StaffUser, Depends(_staff)]


def _desk_staff(user: StaffDep) -> StaffUser:
    """A signed-in staff member of the triage desk (admin, triage, protection)."""
    if not works_at_desk(user):
        raise DeskOnly()
    return user


DeskStaffDep = Annotated[StaffUser, Depends(_desk_staff)]


def _admin(user: StaffDep) -> StaffUser:
    """A signed-in admin: the accounts page."""
    if user.role != Role.ADMIN:
        raise AdminsOnly()
    return user


AdminDep = Annotated[StaffUser, Depends(_admin)]


def _organizer(user: StaffDep) -> StaffUser:
    """A signed-in organizer or admin: assemblies and broadcasts."""
    if not organizes(user):
        raise OrganizersOnly()
    return user


OrganizerDep = Annotated[StaffUser, Depends(_organizer)]


@dataclass(frozen=True)
class StaffPage:
    """What a staff page works with: the request, who is signed in, a database session, the runtime, the templates."""

    request: Request
    user: StaffUser
    db: Session
    runtime: Runtime
    interface: Interface

    @property
    def gettext(self):
        return self.interface.gettext(self.request)

    def render(self, template: str, status_code: int = 200, **context):
        return self.interface.render(self.request, template, status_code=status_code, **context)


def _staff_page(
    request: Request, user: StaffDep, db: DbDep, runtime: RuntimeDep, interface: InterfaceDep
) -> StaffPage:
    return StaffPage(request, user, db, runtime, interface)


StaffPageDep = Annotated[StaffPage, Depends(_staff_page)]


def _token_user(request: Request, db: DbDep) -> StaffUser:
    """The staff member behind an `Authorization: Bearer <token>` header, for /api/v1."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = user_for_token(db, token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise HTTPException(
            status_code=401, detail="a valid API token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


TokenUserDep = Annotated[StaffUser, Depends(_token_user)]


def _api_user(user: TokenUserDep) -> StaffUser:
    """An API user of the triage queue."""
    if not works_at_desk(user):
        raise HTTPException(status_code=403, detail="this account has no access to the triage queue")
    return user


ApiUserDep = Annotated[StaffUser, Depends(_api_user)]


def _api_organizer(user: TokenUserDep) -> StaffUser:
    """An API user of assemblies and broadcasts: organizer or admin tokens."""
    if not organizes(user):
        raise HTTPException(status_code=403, detail="this account has no access to assemblies and broadcasts")
    return user


ApiOrganizerDep = Annotated[StaffUser, Depends(_api_organizer)]


async def _checked_form(request: Request) -> FormData:
    """The submitted form, after checking its CSRF token against the login session's."""
    form = await request.form()
    if not csrf_is_valid(request, str(form.get("csrf", ""))):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")
    return _without_nul(form)


def _without_nul(form: FormData) -> FormData:
    """The form without NUL characters (0x00), pasted or forged: PostgreSQL cannot store one (a 500)."""
    return FormData(
        [
            (key.replace("\x00", ""), value.replace("\x00", "") if isinstance(value, str) else value)
            for key, value in form.multi_items()
        ]
    )


FormDep = Annotated[FormData, Depends(_checked_form)]
