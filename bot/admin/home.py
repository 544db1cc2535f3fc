"""Where /admin leads, by role: the desk to the inbox, organizers to their assemblies."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.cases.access import organizes, works_at_desk
from bot.web.deps import InterfaceDep, StaffDep

router = APIRouter(prefix="/admin")


@router.get("")
def home(request: Request, user: StaffDep, interface: InterfaceDep) -> Response:
    if works_at_desk(user):
        return RedirectResponse("/admin/inbox", status_code=303)
    if organizes(user):
        return RedirectResponse("/admin/assemblies", status_code=303)
    return interface.render(request, "home.html")
