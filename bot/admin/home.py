"""Where /admin leads, by role: the desk to the inbox, organizers to their assemblies; and `/` leads to /admin."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.cases.access import organizes, works_at_desk
from bot.web.deps import InterfaceDep, StaffDep

router = APIRouter()


@router.get("/", include_in_schema=False)
def root() -> Response:
    """The web service has no public page: whoever opens its address lands on the staff pages (or their login)."""
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin")
def home(request: Request, user: StaffDep, interface: InterfaceDep) -> Response:
    if works_at_desk(user):
        return RedirectResponse("/admin/inbox", status_code=303)
    if organizes(user):
        return RedirectResponse("/admin/assemblies", status_code=303)
    return interface.render(request, "home.html")
