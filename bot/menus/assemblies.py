"""`choose: assemblies`: the planned assemblies of every site still to come, soonest first, each with whether
it is full (places taken, confirmed or attended, reach its capacity) and its title in the person's language.

The flow keeps those of the person's site (`filter: site`, the choice's group). Choosing one saves its
id, and beside it `<save>_title`, `_when`, `_full`, `_mine` and `_reference` (the person's own
sign-up, if any) for the branches and the replies.
"""

from sqlalchemy import func, select

from bot import samples
from bot.assemblies.notices import title_in
from bot.assemblies.signups import HOLDING
from bot.engine.interpreter import Choice
from bot.engine.texts import N_
from bot.menus.base import DataMenu, MenuContext
from bot.models import Assembly, Feedback, Signup, Site, utcnow
from bot.vocabulary import AssemblyStatus, SignupStatus

# Translators: one line of the assembly menu; {when} is the day and time, written out.
ASSEMBLY_LABEL = N_("assembly", "{title}, {when}, {place}")


def choice(assembly_id: int, site: str, title: str, when, place: str, *, full=False, mine=False, reference=None):
    return Choice(
        value=str(assembly_id),
        label=ASSEMBLY_LABEL,
        group=site,
        params={"title": title, "when": when, "place": place},
        attrs={"title": title, "when": when, "full": full, "mine": mine, "reference": reference},
    )


def load(context: MenuContext) -> tuple[Choice, ...]:
    db, now = context.db, utcnow()
    taken = dict(
        db.execute(
            select(Signup.assembly_id, func.count()).where(Signup.status.in_(HOLDING)).group_by(Signup.assembly_id)
        ).all()
    )
    # A sign-up given up is no longer the person's: they may sign up again.
    mine = dict(
        db.execute(
            select(Signup.assembly_id, Feedback.reference)
            .join(Feedback, Feedback.id == Signup.feedback_id)
            .where(Signup.contact_id == context.contact.id, Signup.status != SignupStatus.CANCELLED)
        ).all()
    )
    upcoming = db.execute(
        select(Assembly, Site.slug)
        .join(Site)
        .where(Assembly.status == AssemblyStatus.PLANNED, Assembly.starts_at > now)
        .order_by(Assembly.starts_at, Assembly.id)
    )
    lang, default = context.contact.language, context.catalogues.default
    return tuple(
        choice(
            assembly.id,
            slug,
            title_in(assembly, lang, default),
            assembly.starts_at,
            assembly.place,
            full=assembly.capacity is not None and taken.get(assembly.id, 0) >= assembly.capacity,
            mine=assembly.id in mine,
            reference=mine.get(assembly.id),
        )
        for assembly, slug in upcoming
    )


def sample(catalogues, lang) -> tuple[Choice, ...]:
    """One assembly at the sample site, on the date that reads longest in `lang`."""
    when = catalogues.longest(samples.WHEN_CANDIDATES, lang)
    return (choice(1, samples.SITE, samples.ASSEMBLY_TITLE, when, samples.ASSEMBLY_PLACE, reference=samples.REFERENCE),)


MENU = DataMenu("assemblies", load, sample)
