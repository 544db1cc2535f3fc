"""The actions flows may `do`, one module each, registered here: adding one is a module and a line.

Each module declares an `ActionUnit`: what the engine knows of the action (bot.engine.actions) and
the function that carries it out in the database, inside the webhook's transaction.
"""

from bot.actions import (
    accept_consent,
    cancel_signup,
    confirm_site,
    lookup_reference,
    notify_assemblies,
    opt_in,
    opt_out,
    refuse_consent,
    set_language,
    set_site,
    sign_up,
    submit,
)
from bot.actions.base import ActionUnit

UNITS: tuple[ActionUnit, ...] = (
    set_language.ACTION,
    accept_consent.ACTION,
    refuse_consent.ACTION,
    set_site.ACTION,
    confirm_site.ACTION,
    opt_out.ACTION,
    opt_in.ACTION,
    submit.ACTION,
    sign_up.ACTION,
    cancel_signup.ACTION,
    notify_assemblies.ACTION,
    lookup_reference.ACTION,
)
ACTIONS: dict[str, ActionUnit] = {unit.name: unit for unit in UNITS}
