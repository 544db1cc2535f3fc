"""Where /admin leads, by role."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.admin.access import DESK_ROLES
from bot.admin.security import Staff

router = APIRouter(prefix="/admin")


@router.get("")
def home(request: Request, user: Staff) -> Response:
    if user.role in DESK_ROLES:
        return RedirectResponse("/admin/inbox", status_code=303)
    return request.app.state.interface.render(request, "home.html")
